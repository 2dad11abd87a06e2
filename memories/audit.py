"""The audit records: who deleted or exported whose memories, where and when; never content.

One writer, on the database the router chooses for the records. A deletion's record is
written either by the deleting statement itself (see PostgreSQLStatements.delete_and_record)
or beside it, in the deleting transaction, by `record_write`.
"""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field

from django.db import router, transaction
from django.utils import timezone

from memories.conf import memories_settings
from memories.models import MemoryDeletion, MemoryExport
from memories.requests import current_request_id


@dataclass(frozen=True)
class AuditEntry:
    """The audit record of a deletion, apart from the deleted rows themselves."""

    actor: str
    channel: str
    db_id: str
    table: str
    deleted_at: datetime.datetime = field(default_factory=timezone.now)
    request_id: str | None = field(default_factory=current_request_id)


def is_audit_on() -> bool:
    return bool(memories_settings.AUDIT)


def audit_alias() -> str:
    """The database of the audit records, as the host's routers choose it."""
    return str(router.db_for_write(MemoryDeletion))


def record_write(entry: AuditEntry, memory_ids: Sequence[str], owners: Sequence[str]) -> int:
    """Write the record of one deletion or batch; its id."""
    alias = audit_alias()
    # No savepoint: when audit and memories share a database this is one transaction.
    with transaction.atomic(using=alias, savepoint=False):
        record = MemoryDeletion.objects.using(alias).create(
            deleted_at=entry.deleted_at,
            actor=entry.actor,
            channel=entry.channel,
            db_id=entry.db_id,
            table_name=entry.table,
            memory_ids=list(memory_ids),
            user_ids=list(owners),
            count=len(memory_ids),
            request_id=entry.request_id,
        )
    return int(record.pk)


def export_record_open(entry: AuditEntry, *, user_id: str | None) -> int:
    """Record an export before its first row leaves; its id, for export_record_close."""
    record = MemoryExport.objects.using(audit_alias()).create(
        actor=entry.actor,
        channel=entry.channel,
        db_id=entry.db_id,
        table_name=entry.table,
        user_id=user_id,
        count=0,
        finished=False,
        request_id=entry.request_id,
    )
    return int(record.pk)


def export_record_close(record_id: int, *, count: int, finished: bool) -> None:
    """Complete an export's record with how many rows it read out, and whether all."""
    MemoryExport.objects.using(audit_alias()).filter(pk=record_id).update(
        count=count, finished=finished
    )
