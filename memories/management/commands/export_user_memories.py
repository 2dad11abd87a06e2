"""export_user_memories: every memory of one user, as newline-delimited JSON."""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import CommandError, CommandParser, OutputWrapper
from django.utils.translation import gettext_lazy as _

from memories.exceptions import DatabaseFailure
from memories.export_streams import export_lines
from memories.management.base import MemoryCommand, Progress
from memories.models import Channel
from memories.selectors import MemoryFilter, memory_count
from memories.services import ExportOutcome, memories_export
from memories.targets import MemoryTarget, has_table
from memories.wording import memories_counted


class Command(MemoryCommand):
    help = (
        "Write every memory of USER_ID in every configured database and table as "
        "newline-delimited JSON (one memory a line, naming its db_id and table), to standard "
        "output or --output FILE. Each table exported writes an audit record. A database "
        "that cannot be read does not stop the others: the output then ends with a line "
        "naming it, and the command exits non-zero."
    )

    DONE = _("Exported %(count)s of %(user_id)s to %(where)s.")  # %(count)s: "1 memory"
    UNFINISHED = _(
        "Exported %(count)s of %(user_id)s to %(where)s, but not everything: %(unreachable)s. "
        "Run it again when the database answers."
    )
    STDOUT = _("standard output")
    UNREACHABLE = _("%(where)s: database unreachable (%(reason)s)")

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user_id", help="The owner whose memories are exported.")
        self.add_db_id_argument(parser)
        parser.add_argument(
            "--output", type=Path, metavar="FILE", help="Write to FILE instead of stdout."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user_id: str = options["user_id"]
        targets = self.selected_targets(options["db_ids"])
        output: Path | None = options["output"]
        # The summary and the progress go where the memories do not.
        report = self.stdout if output is not None else OutputWrapper(sys.stderr)
        outcome = ExportOutcome()
        if output is None:
            count = self._export(user_id, targets, report, self._write_stdout, outcome)
        else:
            with open(output, "wb") as file:
                count = self._export(user_id, targets, report, file.write, outcome)
        where = str(output) if output is not None else str(self.STDOUT)
        fields = {"count": memories_counted(count), "user_id": repr(user_id), "where": where}
        if not outcome.is_complete:
            unreachable = "; ".join(
                self.UNREACHABLE % {"where": f"{target.db_id}/{target.table}", "reason": reason}
                for target, reason in outcome.unreachable.items()
            )
            raise CommandError(self.UNFINISHED % {"unreachable": unreachable, **fields})
        report.write(self.DONE % fields)

    def _write_stdout(self, chunk: bytes) -> None:
        # NDJSON is UTF-8 whatever the encoding of the terminal's text (PostgreSQL's lines
        # carry characters beyond ASCII as UTF-8): the bytes as they are, where the stream
        # takes bytes.
        binary = getattr(self.stdout._out, "buffer", None)
        if binary is None:
            self.stdout.write(chunk.decode(), ending="")
            return
        self.stdout.flush()
        binary.write(chunk)

    def _export(
        self,
        user_id: str,
        targets: list[MemoryTarget],
        report: OutputWrapper,
        write: Callable[[bytes], object],
        outcome: ExportOutcome,
    ) -> int:
        """Write the user's memories; how many were written."""
        progress = Progress(report, self._total(user_id, targets), interactive=report.isatty())
        rows = memories_export(
            targets=targets,
            user_id=user_id,
            actor=self.actor,
            channel=Channel.COMMAND,
            outcome=outcome,
        )
        count = 0
        for chunk in export_lines(rows, with_target=True, outcome=outcome):
            write(chunk)
            lines = chunk.count(b"\n")
            count += lines
            if progress.interactive:
                progress.advance(lines, "")
        progress.finish()
        return count - (0 if outcome.is_complete else 1)  # the last line names what failed

    def _total(self, user_id: str, targets: list[MemoryTarget]) -> int:
        """How many memories the progress bar expects: those counted where the table exists
        and its database answers (the export itself names the others)."""
        memory_filter = MemoryFilter(user_id=user_id)
        total = 0
        for target in targets:
            try:
                if has_table(target):  # an absent table: the export skips it
                    total += memory_count(target=target, memory_filter=memory_filter)
            except DatabaseFailure:
                continue  # unreachable: the export names it
        return total
