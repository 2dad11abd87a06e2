"""What the memory commands share: choosing db_ids, and showing progress."""

import getpass
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from memories.exceptions import DeletionUnfinishedError
from memories.models import Channel
from memories.selectors import MemoryFilter, PlannedDeletion
from memories.services import DEFAULT_BATCH_SIZES, DeletedBatch, memories_delete_matching
from memories.targets import MemoryTarget, all_targets, configured_db_ids
from memories.wording import memories_counted


class MemoryCommand(BaseCommand):
    """A command over the configured memory tables, every one unless --db-id narrows them."""

    def add_db_id_argument(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--db-id",
            action="append",
            dest="db_ids",
            metavar="ID",
            help="Only this db_id (repeat for several). Default: every configured db_id.",
        )

    def selected_targets(self, db_ids: list[str] | None) -> list[MemoryTarget]:
        targets = all_targets()
        if not db_ids:
            return targets
        unknown = sorted(set(db_ids) - set(configured_db_ids()))
        if unknown:
            raise CommandError(
                gettext("Unknown db_id: %(db_ids)s") % {"db_ids": ", ".join(unknown)}
            )
        return [target for target in targets if target.db_id in db_ids]

    @property
    def actor(self) -> str:
        return f"command:{getpass.getuser()}"


class Progress:
    """Progress of a long command: a bar on a terminal, one plain line per step elsewhere."""

    WIDTH = 30

    def __init__(self, out: Any, total: int, *, interactive: bool) -> None:
        self.out, self.total, self.done, self.interactive = out, total, 0, interactive
        self.drawn = False  # the bar is on the terminal's current line

    def advance(self, count: int, what: str) -> None:
        """`count` more done; `what` says what, for the plain line."""
        self.done += count
        if self.interactive:
            filled = min(self.WIDTH, self.WIDTH * self.done // max(self.total, 1))
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.out.write(f"\r[{bar}] {self.done}/{self.total}", ending="")
            self.out.flush()
            self.drawn = True
        else:
            self.out.write(f"{what} ({self.done}/{self.total})")

    def finish(self) -> None:
        """End the bar's line, so that what follows starts on a line of its own."""
        if self.drawn:
            self.out.write("")
            self.drawn = False

    @contextmanager
    def logging_apart(self, logger_name: str, *, verbosity: int) -> Iterator[None]:
        """While it runs: the logger's INFO lines only at verbosity 2 or more, and any line
        it logs ends the bar's line first, so that no log line lands over the bar."""
        logger = logging.getLogger(logger_name)
        level = logger.level
        if verbosity < 2:
            logger.setLevel(logging.WARNING)

        def end_the_bar(record: logging.LogRecord) -> bool:
            self.finish()
            return True

        logger.addFilter(end_the_bar)
        try:
            yield
        finally:
            logger.removeFilter(end_the_bar)
            logger.setLevel(level)


class DeletionCommand(MemoryCommand):
    """A command that deletes what a filter matches: the counts per db_id and table first,
    a confirmation unless --yes, then batches with progress, and a loud failure when the
    deletion could not finish."""

    PLAN_LINE = "  {db_id:<16} {table:<32} {count}"
    ABSENT = _("table absent")
    UNREACHABLE = _("database unreachable")
    NOTHING = _("Nothing to delete.")
    # The operator types "yes" in every language: the answer is checked as typed.
    CONFIRM = _("Delete %(total)s permanently? This cannot be undone. Type 'yes' to go on: ")
    CANCELLED = _("Cancelled: nothing was deleted.")
    # Where nothing can answer (cron, `< /dev/null`): input() meets the end of its input.
    NO_ANSWER = _("Nothing answered the confirmation, so nothing was deleted: pass --yes.")
    DRY_RUN = _("Dry run: nothing was deleted.")
    BATCH = _("deleted %(count)d from %(db_id)s/%(table)s")
    # %(total)s: "1 memory", "2 memories"; %(what)s: which ones, the command's WHAT.
    DONE = _("Deleted %(total)s %(what)s.")
    UNFINISHED = _("Deleted %(total)s %(what)s, but the deletion did not finish: %(error)s")

    def add_deletion_arguments(self, parser: CommandParser, *, asks: bool = True) -> None:
        """--dry-run, --batch-size and, where the command asks first, --yes."""
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the counts and delete nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            metavar="N",
            help="Memories deleted per transaction (default: "
            f"{DEFAULT_BATCH_SIZES['postgresql']} on PostgreSQL, "
            f"{DEFAULT_BATCH_SIZES['sqlite']} on SQLite "
            "and MySQL/MariaDB).",
        )
        if asks:
            parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def write_plan(self, plan: list[PlannedDeletion]) -> int:
        """Print the counts per db_id and table; their total."""
        for item in plan:
            count = str(self.ABSENT) if item.count is None else str(item.count)
            if not item.is_reachable:
                count = str(self.UNREACHABLE)
            where = {"db_id": item.target.db_id, "table": item.target.table}
            self.stdout.write(self.PLAN_LINE.format(count=count, **where))
        return sum(item.count or 0 for item in plan)

    def confirmed(self, total: int) -> bool:
        """Whether the operator typed yes to deleting total memories."""
        try:
            answer = input(self.CONFIRM % {"total": memories_counted(total)})
        except EOFError:
            raise CommandError(str(self.NO_ANSWER)) from None
        return answer.strip() == "yes"

    def delete_planned(
        self,
        plan: list[PlannedDeletion],
        memory_filter: MemoryFilter,
        *,
        what: str,
        channel: Channel,
        options: dict[str, Any],
    ) -> int:
        """After write_plan: confirm, delete, report; how many were deleted."""
        if not self._goes_ahead(plan, options):
            return 0
        total = sum(item.count or 0 for item in plan)
        progress = Progress(self.stdout, total, interactive=self.stdout.isatty())

        def advance(batch: DeletedBatch) -> None:
            where = {"db_id": batch.target.db_id, "table": batch.target.table}
            progress.advance(batch.deleted, self.BATCH % {"count": batch.deleted, **where})

        try:
            with progress.logging_apart("memories.deletions", verbosity=options["verbosity"]):
                totals = memories_delete_matching(
                    memory_filter=memory_filter,
                    # Every table that exists, memories written since the count taken too; an
                    # unreachable database is tried again, and named in the failure if it fails.
                    targets=[
                        item.target
                        for item in plan
                        if item.count is not None or not item.is_reachable
                    ],
                    actor=self.actor,
                    channel=channel,
                    batch_size=options["batch_size"],
                    on_batch=advance,
                    counted={item.target: item.count for item in plan if item.count is not None},
                )
        except DeletionUnfinishedError as error:
            progress.finish()
            self._write_deleted(error.deleted)
            done = sum(error.deleted.values())
            raise CommandError(
                self.UNFINISHED % {"total": memories_counted(done), "what": what, "error": error}
            ) from error
        progress.finish()
        self._write_deleted({(target.db_id, target.table): n for target, n in totals.items()})
        deleted_total = sum(totals.values())
        self.stdout.write(
            self.style.SUCCESS(
                self.DONE % {"total": memories_counted(deleted_total), "what": what}
            )
        )
        return deleted_total

    def _goes_ahead(self, plan: list[PlannedDeletion], options: dict[str, Any]) -> bool:
        """Whether the deletion runs: not a dry run, something to delete (or a database to try
        again), and confirmed where the command asks; says why not otherwise."""
        if options["batch_size"] is not None and options["batch_size"] < 1:
            raise CommandError(gettext("--batch-size must be at least 1."))
        if options["dry_run"]:
            self.stdout.write(str(self.DRY_RUN))
            return False
        total = sum(item.count or 0 for item in plan)
        if total == 0 and all(item.is_reachable for item in plan):
            self.stdout.write(str(self.NOTHING))
            return False
        if not options.get("yes", True) and not self.confirmed(total):
            self.stdout.write(str(self.CANCELLED))
            return False
        return True

    def _write_deleted(self, deleted: dict[tuple[str, str], int]) -> None:
        for (db_id, table), count in deleted.items():
            self.stdout.write(self.PLAN_LINE.format(db_id=db_id, table=table, count=count))
