"""Exporting memories (access and portability): streamed, with an audit record per table."""

from collections.abc import Generator, Sequence

from django.db import router

from memories.models import AbstractMemory, Channel, MemoryExport
from memories.owners import NOBODY, Owner
from memories.selectors import memory_stream
from memories.targets import MemoryTarget


def memories_export(
    *, targets: Sequence[MemoryTarget], user_id: Owner, actor: str, channel: Channel
) -> Generator[tuple[MemoryTarget, AbstractMemory]]:
    """Every memory of user_id (anyone's for None) in each target, one table after another.

    Each table's export is recorded before its first row leaves (who, whose, where) and
    completed with its count when its last row has; a stream stopped early (the client went
    away, a database failed) leaves its record with the count sent and `finished` false.
    """
    if user_id is NOBODY:
        return
    alias = router.db_for_write(MemoryExport)
    for target in targets:
        record = MemoryExport.objects.using(alias).create(
            actor=actor,
            channel=channel,
            db_id=target.db_id,
            table_name=target.table,
            user_id=user_id,
            count=0,
            finished=False,
        )
        count, finished = 0, False
        try:
            for memory in memory_stream(target=target, user_id=user_id):
                count += 1
                yield target, memory
            finished = True
        finally:
            MemoryExport.objects.using(alias).filter(pk=record.pk).update(
                count=count, finished=finished
            )
