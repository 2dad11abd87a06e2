"""export_user_memories: every memory of one user, as newline-delimited JSON."""

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django.core.management.base import CommandParser, OutputWrapper

from memories.exports import export_lines
from memories.management.base import MemoryCommand, Progress
from memories.models import Channel
from memories.selectors import MemoryFilter, memory_count
from memories.services import memories_export
from memories.targets import MemoryTarget, has_table
from memories.wording import memories_counted


class Command(MemoryCommand):
    help = (
        "Write every memory of USER_ID in every configured database and table as "
        "newline-delimited JSON (one memory a line, naming its db_id and table), to standard "
        "output or --output FILE. Each table exported writes an audit record."
    )

    DONE = "Exported {count} of {user_id!r} to {where}."  # {count}: "1 memory"

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("user_id", help="The owner whose memories are exported.")
        self.add_db_id_argument(parser)
        parser.add_argument(
            "--output", type=Path, metavar="FILE", help="Write to FILE instead of stdout."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        user_id: str = options["user_id"]
        targets = [t for t in self.selected_targets(options["db_ids"]) if has_table(t)]
        output: Path | None = options["output"]
        # The summary and the progress go where the memories do not.
        report = self.stdout if output is not None else OutputWrapper(sys.stderr)
        if output is None:
            count = self._export(user_id, targets, report, self._write_stdout)
        else:
            with open(output, "wb") as file:
                count = self._export(user_id, targets, report, file.write)
        where = str(output) if output is not None else "standard output"
        report.write(self.DONE.format(count=memories_counted(count), user_id=user_id, where=where))

    def _write_stdout(self, chunk: bytes) -> None:
        self.stdout.write(chunk.decode(), ending="")

    def _export(
        self,
        user_id: str,
        targets: list[MemoryTarget],
        report: OutputWrapper,
        write: Callable[[bytes], object],
    ) -> int:
        """Write the user's memories; how many were written."""
        memory_filter = MemoryFilter(user_id=user_id)
        total = sum(memory_count(target=t, memory_filter=memory_filter) for t in targets)
        progress = Progress(report, total, interactive=report.isatty())
        rows = memories_export(
            targets=targets, user_id=user_id, actor=self.actor, channel=Channel.COMMAND
        )
        count = 0
        for chunk in export_lines(rows, with_target=True):
            write(chunk)
            lines = chunk.count(b"\n")
            count += lines
            if progress.interactive:
                progress.advance(lines, "")
        progress.finish()
        return count
