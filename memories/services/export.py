"""Exporting memories (access and portability): streamed, with an audit record per table."""

from collections.abc import Generator, Sequence

from memories.audit import AuditEntry, export_record_close, export_record_open
from memories.models import AbstractMemory, Channel
from memories.owners import NOBODY, Owner
from memories.selectors import memory_stream
from memories.targets import MemoryTarget


def memories_export(
    *, targets: Sequence[MemoryTarget], user_id: Owner, actor: str, channel: Channel
) -> Generator[tuple[MemoryTarget, AbstractMemory]]:
    """Every memory of user_id (anyone's for None) in each target, one table after another.

    Each table's export is recorded before its first row leaves (who, whose, where) and
    completed with its count when its last row has. A stream stopped early (the client went
    away, a database failed) leaves `finished` false and the count of rows handed out,
    which may include a last chunk the client never received.
    """
    if user_id is NOBODY:
        return
    for target in targets:
        entry = AuditEntry(actor=actor, channel=channel, db_id=target.db_id, table=target.table)
        record_id = export_record_open(entry, user_id=user_id)
        count, finished = 0, False
        try:
            for memory in memory_stream(target=target, user_id=user_id):
                count += 1
                yield target, memory
            finished = True
        finally:
            export_record_close(record_id, count=count, finished=finished)
