"""erase_user_memories: delete every memory of one user, in every configured table."""

import getpass
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from memories.exceptions import ErasureIncompleteError
from memories.models import Channel
from memories.selectors import erase_plan
from memories.services import ERASE_BATCH_SIZE, ErasedBatch, user_memories_erase
from memories.targets import MemoryTarget, all_targets, configured_db_ids


class Command(BaseCommand):
    help = (
        "Permanently delete every memory of USER_ID in every configured database and table "
        "(the right to be forgotten). Shows the counts first and asks for confirmation."
    )

    PLAN_HEADER = "Memories of {user_id!r} to delete:"
    PLAN_LINE = "  {db_id:<16} {table:<32} {count}"
    ABSENT = "table absent"
    NOTHING = "Nothing to delete."
    CONFIRM = "Delete {total} memories permanently? This cannot be undone. Type 'yes' to go on: "
    CANCELLED = "Cancelled: nothing was deleted."
    DRY_RUN = "Dry run: nothing was deleted."
    DONE = "Deleted {total} memories of {user_id!r}."
    UNFINISHED = "Deleted {total} memories of {user_id!r}, but the erasure did not finish: {error}"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user_id", help="The owner whose memories are erased.")
        parser.add_argument(
            "--db-id",
            action="append",
            dest="db_ids",
            metavar="ID",
            help="Only this db_id (repeat for several). Default: every configured db_id.",
        )
        parser.add_argument(
            "--dry-run", action="store_true", help="Show the counts and delete nothing."
        )
        parser.add_argument(
            "--batch-size",
            type=int,
            default=ERASE_BATCH_SIZE,
            metavar="N",
            help=f"Memories deleted per transaction (default {ERASE_BATCH_SIZE}).",
        )
        parser.add_argument("--yes", action="store_true", help="Do not ask for confirmation.")

    def handle(self, *args: Any, **options: Any) -> None:
        user_id: str = options["user_id"]
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be at least 1.")
        targets = self._targets(options["db_ids"])
        plan = erase_plan(targets=targets, user_ids=[user_id])
        total = sum(item.count or 0 for item in plan)

        self.stdout.write(self.PLAN_HEADER.format(user_id=user_id))
        for item in plan:
            count = self.ABSENT if item.count is None else str(item.count)
            line = self.PLAN_LINE.format(
                db_id=item.target.db_id, table=item.target.table, count=count
            )
            self.stdout.write(line)
        if options["dry_run"]:
            self.stdout.write(self.DRY_RUN)
            return
        if total == 0:
            self.stdout.write(self.NOTHING)
            return
        if not options["yes"] and input(self.CONFIRM.format(total=total)).strip() != "yes":
            self.stdout.write(self.CANCELLED)
            return

        progress = Progress(self.stdout, total, interactive=self.stdout.isatty())
        try:
            totals = user_memories_erase(
                user_id=user_id,
                # Every table that exists: memories written since the count are erased too.
                targets=[item.target for item in plan if item.count is not None],
                actor=f"command:{getpass.getuser()}",
                channel=Channel.COMMAND,
                batch_size=options["batch_size"],
                on_batch=progress.advance,
            )
        except ErasureIncompleteError as error:
            progress.finish()
            for (db_id, table), deleted in error.deleted.items():
                self.stdout.write(self.PLAN_LINE.format(db_id=db_id, table=table, count=deleted))
            total_deleted = sum(error.deleted.values())
            raise CommandError(
                self.UNFINISHED.format(total=total_deleted, user_id=user_id, error=error)
            ) from error
        progress.finish()
        for target, deleted in totals.items():
            line = self.PLAN_LINE.format(db_id=target.db_id, table=target.table, count=deleted)
            self.stdout.write(line)
        self.stdout.write(
            self.style.SUCCESS(self.DONE.format(total=sum(totals.values()), user_id=user_id))
        )

    def _targets(self, db_ids: list[str] | None) -> list[MemoryTarget]:
        targets = all_targets()
        if not db_ids:
            return targets
        unknown = sorted(set(db_ids) - set(configured_db_ids()))
        if unknown:
            raise CommandError(f"Unknown db_id: {', '.join(unknown)}")
        return [target for target in targets if target.db_id in db_ids]


class Progress:
    """A progress bar on a terminal, one plain line per batch elsewhere."""

    WIDTH = 30

    def __init__(self, out: Any, total: int, *, interactive: bool) -> None:
        self.out, self.total, self.done, self.interactive = out, total, 0, interactive

    def advance(self, batch: ErasedBatch) -> None:
        self.done += batch.deleted
        if self.interactive:
            filled = min(self.WIDTH, self.WIDTH * self.done // max(self.total, 1))
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.out.write(f"\r[{bar}] {self.done}/{self.total}", ending="")
            self.out.flush()
        else:
            where = f"{batch.target.db_id}/{batch.target.table}"
            self.out.write(f"deleted {batch.deleted} from {where} ({self.done}/{self.total})")

    def finish(self) -> None:
        if self.interactive:
            self.out.write("")
