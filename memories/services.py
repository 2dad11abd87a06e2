"""Writes: creating, updating and deleting memories, with audit records and signals."""

import json
import logging
import time
import uuid
from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from functools import partial
from typing import Any, NamedTuple

from django.db import DEFAULT_DB_ALIAS, DatabaseError, transaction
from django.utils import timezone

from memories import statements
from memories.conf import memories_settings
from memories.exceptions import MemoryNotFoundError, TableNotFoundError
from memories.expressions import Equals
from memories.models import AbstractMemory, Channel, MemoryDeletion
from memories.selectors import memory_get, memory_queryset
from memories.signals import memories_deleted, memory_deleted
from memories.statements import DeletedRow
from memories.targets import MemoryTarget, require_table, table_exists

logger = logging.getLogger("memories.deletions")

# Memories per erasure batch: each batch is one statement, one transaction, one audit record.
ERASE_BATCH_SIZE = 5000


class DeletedMemory(NamedTuple):
    """One deleted memory."""

    memory_id: str
    user_id: str | None


def deletion_record_create(
    *, target: MemoryTarget, deleted: Sequence[DeletedRow], actor: str, channel: Channel
) -> None:
    """Write the audit record of one deletion or one batch; never the content."""
    if not memories_settings.AUDIT:
        return
    owners = sorted({owner for _, owner in deleted if owner is not None})
    # No savepoint: when audit and memories share a database this is one transaction.
    with transaction.atomic(using=DEFAULT_DB_ALIAS, savepoint=False):
        MemoryDeletion.objects.using(DEFAULT_DB_ALIAS).create(
            actor=actor,
            channel=channel,
            db_id=target.db_id,
            table_name=target.table,
            memory_ids=[memory_id for memory_id, _ in deleted],
            user_ids=owners,
            count=len(deleted),
        )


def _send_after_commit(
    target: MemoryTarget,
    deleted: Sequence[DeletedRow],
    actor: str,
    channel: Channel,
    batch: bool,
) -> None:
    context: dict[str, Any] = {
        "sender": target.model,
        "db_id": target.db_id,
        "table": target.table,
        "actor": actor,
        "channel": channel,
    }
    if memory_deleted.has_listeners(target.model):
        for memory_id, owner in deleted:
            transaction.on_commit(
                partial(
                    memory_deleted.send,
                    memory_id=memory_id,
                    user_id=owner,
                    **context,
                ),
                using=target.alias,
            )
    if batch and memories_deleted.has_listeners(target.model):
        transaction.on_commit(
            partial(
                memories_deleted.send,
                memory_ids=[memory_id for memory_id, _ in deleted],
                user_ids=sorted({owner for _, owner in deleted if owner is not None}),
                **context,
            ),
            using=target.alias,
        )


def _log_deletion(
    target: MemoryTarget,
    memory_ids: Sequence[str],
    actor: str,
    channel: Channel,
    outcome: str,
    *,
    count: int | None = None,
    ids_json: str | None = None,
) -> None:
    """One JSON line per deletion or batch: who, what, where, how it ended; never content.

    A batch whose ids arrive as JSON text (`ids_json`, with `count`) logs that text as is.
    """
    if ids_json is not None and count == 1:
        memory_ids, ids_json = json.loads(ids_json), None  # one id is logged as memory_id
    if count is None:
        count = len(memory_ids) if outcome == "deleted" else 0
    entry = {
        "event": "memory_deletion",
        "outcome": outcome,
        "actor": actor,
        "channel": str(channel),
        "db_id": target.db_id,
        "table": target.table,
        "count": count,
        "memory_id": memory_ids[0] if len(memory_ids) == 1 else None,
        "memory_ids": list(memory_ids) if len(memory_ids) > 1 else None,
    }
    line = json.dumps({key: value for key, value in entry.items() if value is not None})
    if ids_json is not None:
        line = f'{line[:-1]}, "memory_ids": {ids_json}}}'
    log = logger.error if outcome == "error" else logger.info
    log(line)


def _table_missing(target: MemoryTarget) -> bool:
    try:
        return not table_exists(target)
    except DatabaseError:
        return False  # the database itself fails: that is the error to report


def _savepoint_if_in_transaction(alias: str) -> AbstractContextManager[object]:
    # In a caller's transaction a failing statement must not abort the caller's work.
    in_transaction = transaction.get_connection(alias).in_atomic_block
    return transaction.atomic(using=alias) if in_transaction else nullcontext()


def _audit_entry(target: MemoryTarget, actor: str, channel: Channel) -> statements.AuditEntry:
    return statements.AuditEntry(
        deleted_at=timezone.now(),
        actor=actor,
        channel=channel,
        db_id=target.db_id,
        table=target.table,
    )


def _report_failure(
    target: MemoryTarget, selection: statements.Selection, actor: str, channel: Channel
) -> None:
    """Log a failed deletion; a table missing from its database raises TableNotFoundError
    (404), anything else is left to the caller to re-raise (500)."""
    missing = _table_missing(target)
    attempted = list(selection.memory_ids)
    _log_deletion(target, attempted, actor, channel, "not_found" if missing else "error")
    if missing:
        raise TableNotFoundError(target.db_id, target.table) from None


def _delete_batch(
    target: MemoryTarget,
    selection: statements.Selection,
    actor: str,
    channel: Channel,
    batch: bool,
) -> list[DeletedRow]:
    """Delete the selected memories in one transaction, with one audit record.

    The rows come back as plain tuples: an erasure handles them by the hundred thousand.
    """
    try:
        if statements.records_in_statement(target):
            # One statement deletes and records: atomic without a transaction around it.
            entry = _audit_entry(target, actor, channel)
            with _savepoint_if_in_transaction(target.alias):
                deleted = statements.delete_rows(target, selection, record=entry)
            if deleted:
                _send_after_commit(target, deleted, actor, channel, batch)
        else:
            with transaction.atomic(using=target.alias):
                deleted = statements.delete_rows(target, selection)
                if deleted:
                    deletion_record_create(
                        target=target, deleted=deleted, actor=actor, channel=channel
                    )
                    _send_after_commit(target, deleted, actor, channel, batch)
    except DatabaseError:
        _report_failure(target, selection, actor, channel)
        raise
    if not deleted and selection.limit is not None:
        return deleted  # the end of an erasure: nothing was asked for by id
    outcome = "deleted" if deleted else "not_found"
    _log_deletion(
        target,
        [memory_id for memory_id, _ in deleted] or selection.memory_ids,
        actor,
        channel,
        outcome,
    )
    return deleted


def _delete_batch_counted(
    target: MemoryTarget, selection: statements.Selection, actor: str, channel: Channel
) -> int:
    """_delete_batch for a caller that needs only how many memories were deleted.

    Where the statement records the batch itself and no receiver waits for the deleted
    rows, none of them travel to Python: the statement answers with the count and the ids
    as JSON text, for the log line.
    """
    listened = memory_deleted.has_listeners(target.model) or memories_deleted.has_listeners(
        target.model
    )
    if listened or not statements.records_in_statement(target):
        return len(_delete_batch(target, selection, actor, channel, batch=True))
    entry = _audit_entry(target, actor, channel)
    try:
        with _savepoint_if_in_transaction(target.alias):
            count, ids_json = statements.delete_counted(target, selection, record=entry)
    except DatabaseError:
        _report_failure(target, selection, actor, channel)
        raise
    if count:
        _log_deletion(target, [], actor, channel, "deleted", count=count, ids_json=ids_json)
    elif selection.limit is None:
        _log_deletion(target, selection.memory_ids, actor, channel, "not_found")
    return count


def memory_delete(
    *, target: MemoryTarget, memory_id: str, user_id: str | None, actor: str, channel: Channel
) -> DeletedMemory:
    """Permanently delete one memory, owned by user_id when given.

    One DELETE statement decides whether it existed, so concurrent deletes of the same
    memory succeed exactly once. The audit record is written before the deletion commits:
    a failed audit write rolls the deletion back.
    """
    selection = statements.Selection(user_id=user_id, memory_ids=[memory_id])
    deleted = _delete_batch(target, selection, actor, channel, batch=False)
    if not deleted:
        raise MemoryNotFoundError()
    return DeletedMemory._make(deleted[0])


def _ids_selection(memory_ids: Sequence[str], user_id: str | None) -> statements.Selection:
    """The selection of a bulk delete: each id once, in the order given."""
    return statements.Selection(user_id=user_id, memory_ids=list(dict.fromkeys(memory_ids)))


def memories_delete(
    *,
    target: MemoryTarget,
    memory_ids: Sequence[str],
    user_id: str | None,
    actor: str,
    channel: Channel,
) -> list[DeletedMemory]:
    """Permanently delete those of memory_ids that exist (and user_id owns), all or none."""
    selection = _ids_selection(memory_ids, user_id)
    return list(
        map(DeletedMemory._make, _delete_batch(target, selection, actor, channel, batch=True))
    )


def memories_delete_count(
    *,
    target: MemoryTarget,
    memory_ids: Sequence[str],
    user_id: str | None,
    actor: str,
    channel: Channel,
) -> int:
    """memories_delete, answering only how many memories were deleted: cheaper for a
    caller that needs no more, as the deleted rows need not leave the database."""
    selection = _ids_selection(memory_ids, user_id)
    return _delete_batch_counted(target, selection, actor, channel)


def _now() -> int:
    return int(time.time())


def memory_create(
    *,
    target: MemoryTarget,
    memory: str,
    user_id: str | None,
    topics: list[str] | None = None,
    agent_id: str | None = None,
    team_id: str | None = None,
) -> AbstractMemory:
    """Store a new memory, as Agno would: its text as a JSON string, epoch timestamps."""
    now = _now()
    try:
        return target.model._default_manager.using(target.alias).create(
            memory_id=str(uuid.uuid4()),
            memory=memory,
            user_id=user_id,
            topics=topics,
            agent_id=agent_id,
            team_id=team_id,
            created_at=now,
            updated_at=now,
        )
    except DatabaseError:
        require_table(target)
        raise


def memory_update(
    *, target: MemoryTarget, memory_id: str, user_id: str | None, changes: dict[str, Any]
) -> AbstractMemory:
    """Change the given fields of one memory (never its owner); 404 when it is not there."""
    allowed = {"memory", "topics", "agent_id", "team_id"}
    fields = {key: value for key, value in changes.items() if key in allowed}
    try:
        with transaction.atomic(using=target.alias):
            updated = (
                memory_queryset(target=target, user_id=user_id)
                .filter(Equals("memory_id", memory_id))
                .update(**fields, updated_at=_now())
            )
            if not updated:
                raise MemoryNotFoundError()
            return memory_get(target=target, memory_id=memory_id, user_id=user_id)
    except DatabaseError:
        require_table(target)
        raise


@dataclass(frozen=True)
class ErasedBatch:
    """Progress of an erasure: one committed batch."""

    target: MemoryTarget
    deleted: int


def user_memories_erase(
    *,
    user_id: str,
    targets: Sequence[MemoryTarget],
    actor: str,
    channel: Channel,
    batch_size: int = ERASE_BATCH_SIZE,
    on_batch: Callable[[ErasedBatch], None] | None = None,
) -> dict[MemoryTarget, int]:
    """Delete every memory of user_id in targets, batch by batch; the count per target.

    Targets whose table is absent are skipped. Each batch is one transaction with one audit
    record, so an interruption leaves whole
    batches deleted and the rest intact, and running it again finishes the work. Ids are
    read a batch at a time: memory stays flat however many rows there are.
    """
    totals: dict[MemoryTarget, int] = {}
    for target in targets:
        if not table_exists(target):
            continue  # a configured table that was never created holds nobody's memories
        totals[target] = 0
        # Each statement takes the next batch itself: no ids travel to Python and back.
        selection = statements.Selection(user_id=user_id, limit=batch_size)
        while deleted := _delete_batch_counted(target, selection, actor, channel):
            totals[target] += deleted
            if on_batch is not None:
                on_batch(ErasedBatch(target=target, deleted=deleted))
    return totals
