"""Writes: deleting memories, with the audit record and the after-commit signal."""

import logging
from dataclasses import dataclass
from functools import partial

from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction

from memories import statements
from memories.conf import memories_settings
from memories.exceptions import MemoryNotFoundError
from memories.models import Channel, MemoryDeletion
from memories.signals import memory_deleted
from memories.targets import MemoryTarget, require_table

logger = logging.getLogger("memories.deletions")


@dataclass(frozen=True)
class DeletedMemory:
    memory_id: str
    user_id: str | None


def deletion_record_create(
    *, target: MemoryTarget, deleted: list[DeletedMemory], actor: str, channel: Channel
) -> None:
    """Write the audit record of one deletion or one batch; never the content."""
    if not memories_settings.AUDIT:
        return
    owners = sorted({memory.user_id for memory in deleted if memory.user_id is not None})
    # No savepoint: when audit and memories share a database this is one transaction.
    with transaction.atomic(using=DEFAULT_DB_ALIAS, savepoint=False):
        MemoryDeletion.objects.using(DEFAULT_DB_ALIAS).create(
            actor=actor,
            channel=channel,
            db_id=target.db_id,
            table_name=target.table,
            memory_ids=[memory.memory_id for memory in deleted],
            user_ids=owners,
            count=len(deleted),
        )


def memory_delete(
    *, target: MemoryTarget, memory_id: str, user_id: str | None, actor: str, channel: Channel
) -> DeletedMemory:
    """Permanently delete one memory, owned by user_id when given.

    One DELETE statement decides whether it existed, so concurrent deletes of the same
    memory succeed exactly once. The audit record is written before the deletion commits:
    a failed audit write rolls the deletion back.
    """
    try:
        with transaction.atomic(using=target.alias):
            rows = statements.delete_rows(target, memory_ids=[memory_id], user_id=user_id)
            if not rows:
                raise MemoryNotFoundError()
            deleted = DeletedMemory(*rows[0])
            deletion_record_create(target=target, deleted=[deleted], actor=actor, channel=channel)
            transaction.on_commit(
                partial(
                    memory_deleted.send,
                    sender=target.model,
                    memory_id=deleted.memory_id,
                    user_id=deleted.user_id,
                    db_id=target.db_id,
                    table=target.table,
                    actor=actor,
                    channel=channel,
                ),
                using=target.alias,
            )
    except DatabaseError:
        # Tell a table missing from its database (404) from a failing database (500).
        require_table(target)
        raise
    logger.info(
        "memory deleted",
        extra={
            "actor": actor,
            "memory_id": deleted.memory_id,
            "db_id": target.db_id,
            "table": target.table,
            "channel": channel,
        },
    )
    return deleted
