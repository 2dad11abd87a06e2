"""The one way a deletion happens: a selection in; one DELETE statement and its audit record,
in one transaction (on PostgreSQL, when the record lives in the same database, in the same
statement); the signals after commit; one log line; the result out."""

import logging
from collections.abc import Sequence
from functools import partial
from typing import Any

from django.db import transaction

from memories.audit import AuditEntry, audit_alias, is_audit_on, record_write
from memories.exceptions import DatabaseFailure, MemoryNotFoundError, TableNotFoundError
from memories.metrics import deletion_counted
from memories.models import Channel
from memories.owners import NOBODY, Owner
from memories.signals import memories_deleted, memory_deleted
from memories.statements import (
    DeletedMemory,
    Deletion,
    IdSelection,
    Selection,
    Statements,
)
from memories.targets import MemoryTarget, has_table
from memories.transactions import read_committed, savepoint_if_in_transaction

logger = logging.getLogger("memories.deletions")


def delete_selection(
    *,
    target: MemoryTarget,
    selection: Selection,
    actor: str,
    channel: Channel,
    with_rows: bool = False,
    is_batch: bool = True,
) -> Deletion:
    """Delete what `selection` names, in one transaction with one audit record.

    The deleted rows come back only `with_rows` (or when signal receivers need them): an
    erasure deletes them by the hundred thousand. A failed audit write rolls the deletion
    back. `is_batch` sends `memories_deleted` beside the per-memory signal.
    """
    statements = target.statements
    entry = AuditEntry(actor=actor, channel=channel, db_id=target.db_id, table=target.table)
    rows_wanted = with_rows or _has_receivers(target, is_batch)
    try:
        if _is_recorded_by_statement(target, statements):
            # One statement deletes and records: atomic without a transaction around it.
            with savepoint_if_in_transaction(target.alias):
                deletion = statements.delete_and_record(
                    target, selection, entry, with_rows=rows_wanted
                )
            owners = _owners(selection, deletion.rows)
        else:
            with read_committed(target.alias):
                rows = statements.delete(target, selection)
                owners = _owners(selection, rows)
                record_id = None
                if rows and is_audit_on():
                    record_id = record_write(entry, [row.memory_id for row in rows], owners)
            kept = tuple(rows) if rows_wanted else ()
            deletion = Deletion(count=len(rows), rows=kept, record_id=record_id)
    except DatabaseFailure:
        is_missing = _is_table_missing(target)
        _log(entry, "not_found" if is_missing else "error", selection, Deletion(count=0))
        if is_missing:
            raise TableNotFoundError(target.db_id, target.table) from None
        raise
    if deletion.rows:
        _send_after_commit(target, entry, deletion.rows, owners, is_batch=is_batch)
    if deletion.count or isinstance(selection, IdSelection):
        _log(entry, "deleted" if deletion.count else "not_found", selection, deletion)
    return deletion


def memory_delete(
    *, target: MemoryTarget, memory_id: str, user_id: Owner, actor: str, channel: Channel
) -> None:
    """Permanently delete one memory, owned by user_id when given.

    One DELETE statement decides whether it existed, so concurrent deletes of the same
    memory succeed exactly once.
    """
    if user_id is NOBODY:
        raise MemoryNotFoundError()
    selection = IdSelection(memory_ids=(memory_id,), user_id=user_id)
    deletion = delete_selection(
        target=target, selection=selection, actor=actor, channel=channel, is_batch=False
    )
    if not deletion.count:
        raise MemoryNotFoundError()


def memories_delete(
    *,
    target: MemoryTarget,
    memory_ids: Sequence[str],
    user_id: Owner,
    actor: str,
    channel: Channel,
    with_rows: bool = False,
) -> Deletion:
    """Permanently delete those of memory_ids that exist (and user_id owns), all or none."""
    if user_id is NOBODY:
        return Deletion(count=0)
    selection = IdSelection(memory_ids=tuple(dict.fromkeys(memory_ids)), user_id=user_id)
    return delete_selection(
        target=target, selection=selection, actor=actor, channel=channel, with_rows=with_rows
    )


def _is_recorded_by_statement(target: MemoryTarget, statements: Statements) -> bool:
    """Whether the deleting statement writes the audit record itself: where the engine can
    and the record lives in the same database."""
    return statements.can_record_in_statement and is_audit_on() and audit_alias() == target.alias


def _owners(selection: Selection, rows: Sequence[DeletedMemory]) -> list[str]:
    """The distinct owners of a deletion, in code point order."""
    if selection.user_id is not None:
        return [selection.user_id]  # every row deleted is that owner's
    return sorted({row.user_id for row in rows if row.user_id is not None})


def _has_receivers(target: MemoryTarget, is_batch: bool) -> bool:
    return memory_deleted.has_listeners(target.model) or (
        is_batch and memories_deleted.has_listeners(target.model)
    )


def _send_after_commit(
    target: MemoryTarget,
    entry: AuditEntry,
    rows: Sequence[DeletedMemory],
    owners: list[str],
    *,
    is_batch: bool,
) -> None:
    context: dict[str, Any] = {
        "sender": target.model,
        "db_id": entry.db_id,
        "table": entry.table,
        "actor": entry.actor,
        "channel": entry.channel,
    }
    if memory_deleted.has_listeners(target.model):
        for memory_id, owner in rows:
            transaction.on_commit(
                partial(memory_deleted.send, memory_id=memory_id, user_id=owner, **context),
                using=target.alias,
            )
    if is_batch and memories_deleted.has_listeners(target.model):
        memory_ids = [row.memory_id for row in rows]
        transaction.on_commit(
            partial(memories_deleted.send, memory_ids=memory_ids, user_ids=owners, **context),
            using=target.alias,
        )


def _log(entry: AuditEntry, outcome: str, selection: Selection, deletion: Deletion) -> None:
    """One small line per deletion or batch: who, where, how many, how it ended, and the
    audit record holding the ids; never content, never the ids of a batch."""
    fields: dict[str, Any] = {
        "outcome": outcome,
        "count": deletion.count,
        "db_id": entry.db_id,
        "table": entry.table,
        "actor": entry.actor,
        "channel": str(entry.channel),
        "audit_record": deletion.record_id,
    }
    if isinstance(selection, IdSelection) and len(selection.memory_ids) == 1:
        fields["memory_id"] = selection.memory_ids[0]
    level = logging.ERROR if outcome == "error" else logging.INFO
    message = (
        "memory deletion %(outcome)s: %(count)d from %(db_id)s/%(table)s by %(actor)s "
        "(%(channel)s, audit record %(audit_record)s)"
    )
    logger.log(level, message, fields, extra={"memory_deletion": fields})
    deletion_counted(
        channel=str(entry.channel),
        db_id=entry.db_id,
        outcome=outcome,
        rows=deletion.count,
        by_id=isinstance(selection, IdSelection),
    )


def _is_table_missing(target: MemoryTarget) -> bool:
    try:
        return not has_table(target)
    except DatabaseFailure:
        return False  # the database itself fails: that is the error to report
