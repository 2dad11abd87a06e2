"""Exporting memories (access and portability): streamed, with an audit record per table."""

import logging
import time
from collections.abc import Generator, Sequence
from dataclasses import dataclass, field

from memories.audit import AuditEntry, export_record_close, export_record_open
from memories.exceptions import DatabaseFailure, database_reason
from memories.metrics import rows_exported
from memories.models import Channel
from memories.owners import NOBODY, Owner
from memories.requests import current_request_id
from memories.selectors import memory_lines
from memories.statement_limits import statement_timeout_of
from memories.targets import MemoryTarget, has_table

logger = logging.getLogger("memories.exports")


@dataclass
class ExportOutcome:
    """What an export over several tables could not read, filled in as it streams: each
    table whose database failed (before its first row or midway), with the driver's reason
    (for operators: it may name hosts)."""

    unreachable: dict[MemoryTarget, str] = field(default_factory=dict)
    # Those of them whose statement ran past MEMORIES["STATEMENT_TIMEOUT"], with the limit.
    timed_out: dict[MemoryTarget, float] = field(default_factory=dict)

    @property
    def is_complete(self) -> bool:
        return not self.unreachable


# How often a running export's record is brought up to date with the rows sent so far: a
# process killed mid-stream (a shutdown past its grace period) leaves a record that says
# about how many left, never 0. By rows too: a server whose buffers are full stops asking
# for more, and the export waits at a row, with no second passing for it, until it is killed.
PROGRESS_SECONDS = 1.0
PROGRESS_ROWS = 1000

# A memory as an export hands it out: its table, and its line, the JSON object GET
# /memories/{id} answers (memories.selectors.memory_lines), without the newline.
ExportLine = tuple[MemoryTarget, str]


def memories_export(
    *,
    targets: Sequence[MemoryTarget],
    user_id: Owner,
    actor: str,
    channel: Channel,
    outcome: ExportOutcome | None = None,
) -> Generator[ExportLine]:
    """Every memory of user_id (anyone's for None) in each target as its line, one table
    after another; targets whose table is absent are skipped.

    Each table's export is recorded before its first row leaves (who, whose, where, the
    request's id) and completed with its count when its last row has, and brought up to
    date meanwhile every PROGRESS_SECONDS or PROGRESS_ROWS. A stream stopped early (the
    client went away, a time limit, a database failed) leaves `finished` false and the count
    of rows handed out, which may include a last chunk the client never received.

    With `outcome`, a database that fails stops its own table only: the table is named
    there (and recorded as an unfinished export) and the next one is exported; without it,
    the error propagates.
    """
    # Now: a streamed response is read after its request's middleware has returned.
    request_id = current_request_id()
    return _export_rows(targets, user_id, actor, channel, request_id, outcome)


def _export_rows(
    targets: Sequence[MemoryTarget],
    user_id: Owner,
    actor: str,
    channel: Channel,
    request_id: str | None,
    outcome: ExportOutcome | None,
) -> Generator[ExportLine]:
    if user_id is NOBODY:
        return
    for target in targets:
        entry = AuditEntry(
            actor=actor,
            channel=channel,
            db_id=target.db_id,
            table=target.table,
            request_id=request_id,
        )
        record_id: int | None = None
        count, finished = 0, False
        recorded_at = time.monotonic()
        try:
            if not has_table(target):
                continue
            record_id = export_record_open(entry, user_id=user_id)
            recorded = 0
            for line in memory_lines(target=target, user_id=user_id):
                count += 1
                # Before the row leaves: the export may wait at this yield until it is killed.
                is_due = time.monotonic() - recorded_at >= PROGRESS_SECONDS
                if is_due or count - recorded >= PROGRESS_ROWS:
                    export_record_close(record_id, count=count, finished=False)
                    recorded, recorded_at = count, time.monotonic()
                yield target, line
            finished = True
        except DatabaseFailure as error:
            if outcome is None:
                raise
            reason = database_reason(error)
            logger.error("memory export failed on %s/%s: %s", target.db_id, target.table, reason)
            outcome.unreachable[target] = reason
            timed_out = statement_timeout_of(error)
            if timed_out is not None:
                outcome.timed_out[target] = timed_out.seconds
            if record_id is None:  # unreachable before its first row: recorded all the same
                record_id = export_record_open(entry, user_id=user_id)
        finally:
            if record_id is not None:
                export_record_close(record_id, count=count, finished=finished)
                rows_exported(channel=str(channel), db_id=target.db_id, rows=count)
