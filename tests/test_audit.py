"""The audit records' one writer: on the database the router chooses, who, whose, where."""

import datetime

import pytest
from django.db import connections
from django.test import override_settings

from memories.audit import (
    AuditEntry,
    audit_alias,
    export_record_close,
    export_record_open,
    is_audit_on,
    record_write,
)
from memories.models import Channel, MemoryDeletion, MemoryExport
from tests.conftest import memories_with, require_db_id

pytestmark = pytest.mark.django_db(databases="__all__")

DELETED_AT = datetime.datetime(2025, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def entry(db_id: str = "lite") -> AuditEntry:
    return AuditEntry(
        actor="root",
        channel=Channel.COMMAND,
        db_id=db_id,
        table="agno_memories",
        deleted_at=DELETED_AT,
    )


class AuditOnPostgreSQLRouter:
    """A host's router that keeps the audit records on PostgreSQL."""

    def db_for_write(self, model, **hints):
        return "pg" if model in (MemoryDeletion, MemoryExport) else None


def test_one_record_per_deletion_with_its_ids_and_owners(db_id):
    record_id = record_write(entry(db_id), ["m1", "m2", "m3"], ["alice", "bob"])

    record = MemoryDeletion.objects.using("default").get()
    assert record.pk == record_id
    assert (record.actor, record.channel, record.db_id, record.table_name) == (
        "root",
        "command",
        db_id,
        "agno_memories",
    )
    assert (record.memory_ids, record.user_ids, record.count) == (
        ["m1", "m2", "m3"],
        ["alice", "bob"],
        3,
    )
    assert record.deleted_at == DELETED_AT


def test_written_to_the_database_the_routers_choose():
    require_db_id("pg")
    # The audit tables exist on default only; made here inside the test's transaction.
    with connections["pg"].schema_editor() as editor:
        editor.create_model(MemoryDeletion)
    routers = ["tests.test_audit.AuditOnPostgreSQLRouter", "memories.routers.MemoryRouter"]

    with override_settings(DATABASE_ROUTERS=routers):
        alias = audit_alias()
        record_id = record_write(entry(), ["m1"], ["alice"])

    assert alias == "pg"
    record = MemoryDeletion.objects.using("pg").get()
    assert (record.pk, record.memory_ids, record.user_ids) == (record_id, ["m1"], ["alice"])
    assert not MemoryDeletion.objects.using("default").exists()


def test_an_export_is_recorded_open_then_closed_with_its_count():
    record_id = export_record_open(entry(), user_id="alice")

    opened = MemoryExport.objects.using("default").values().get()
    assert (opened["id"], opened["user_id"], opened["count"], opened["finished"]) == (
        record_id,
        "alice",
        0,
        False,
    )
    assert (opened["actor"], opened["db_id"], opened["table_name"]) == (
        "root",
        "lite",
        "agno_memories",
    )

    export_record_close(record_id, count=7, finished=True)

    closed = MemoryExport.objects.using("default").get()
    assert (closed.count, closed.finished) == (7, True)


def test_an_export_of_everyone_names_no_owner():
    export_record_close(export_record_open(entry(), user_id=None), count=2, finished=False)

    record = MemoryExport.objects.using("default").get()
    assert (record.user_id, record.count, record.finished) == (None, 2, False)


@pytest.mark.parametrize("setting, on", [(True, True), (False, False), (None, False)])
def test_audit_on_follows_the_setting(setting, on):
    with override_settings(MEMORIES=memories_with(AUDIT=setting)):
        assert is_audit_on() is on
