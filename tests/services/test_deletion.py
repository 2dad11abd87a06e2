"""The deletion service: one statement and the audit record (its signals: test_signals.py)."""

import logging
import re
from typing import Any

import pytest
from django.db import connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from memories.exceptions import MemoryNotFoundError
from memories.models import Channel, MemoryDeletion
from memories.services import memories_delete, memory_delete
from memories.statements import DeletedMemory
from tests.conftest import deletion_log, memories_with, require_db_id
from tests.factories import memory_create, memory_ids_in, target

pytestmark = pytest.mark.django_db(databases="__all__")

TRANSACTION_CONTROL = re.compile(r"^\s*(BEGIN|COMMIT|ROLLBACK|SAVEPOINT|RELEASE|SET )", re.I)


# What the statement time limit puts before a statement on PostgreSQL and MariaDB.
STATEMENT_LIMIT = re.compile(
    r"^(SET LOCAL statement_timeout = \d+; |SET STATEMENT max_statement_time=[\d.]+ FOR )"
)


def statements(context: CaptureQueriesContext) -> list[str]:
    """The captured SQL, without transaction control (which Django issues per backend) and
    without the statement limit's prefix."""
    captured = [STATEMENT_LIMIT.sub("", q["sql"]) for q in context.captured_queries]
    return [sql for sql in captured if not TRANSACTION_CONTROL.match(sql)]


class MemoryDeleteTests:
    def test_writes_one_audit_record_naming_the_owner(self, db_id):
        memory_create(db_id, memory_id="m1", user_id="bob", memory="Bob's secret diary")
        memory_create(db_id, memory_id="m2", user_id="bob")

        memory_delete(
            target=target(db_id), memory_id="m1", user_id=None, actor="root", channel=Channel.API
        )

        assert memory_ids_in(db_id) == {"m2"}
        record = MemoryDeletion.objects.get()
        assert record.actor == "root"
        assert record.channel == Channel.API
        assert (record.db_id, record.table_name) == (db_id, "agno_memories")
        assert (record.memory_ids, record.user_ids, record.count) == (["m1"], ["bob"], 1)

    def test_audit_record_never_holds_the_content(self):
        memory_create(memory_id="m1", user_id="bob", memory="Bob's secret diary")

        memory_delete(
            target=target(), memory_id="m1", user_id="bob", actor="bob", channel=Channel.API
        )

        row = MemoryDeletion.objects.values().get()
        assert all("secret" not in str(value) for value in row.values())

    def test_not_owned_memory_raises_and_stays(self, db_id):
        memory_create(db_id, memory_id="m1", user_id="bob")

        with pytest.raises(MemoryNotFoundError):
            memory_delete(
                target=target(db_id),
                memory_id="m1",
                user_id="alice",
                actor="a",
                channel=Channel.API,
            )

        assert memory_ids_in(db_id) == {"m1"}
        assert not MemoryDeletion.objects.exists()

    def test_audit_can_be_switched_off(self):
        memory_create(memory_id="m1", user_id="bob")

        with override_settings(MEMORIES=memories_with(AUDIT=False)):
            memory_delete(
                target=target(), memory_id="m1", user_id=None, actor="a", channel=Channel.API
            )

        assert memory_ids_in("default") == set()
        assert not MemoryDeletion.objects.exists()

    def test_one_delete_statement_and_one_audit_insert(self, as_user, db_id):
        memory_create(db_id, memory_id="m1", user_id="alice")
        memory_connection, audit_connection = connections[db_id], connections["default"]

        with (
            CaptureQueriesContext(memory_connection) as on_memory_db,
            CaptureQueriesContext(audit_connection) as on_default,
        ):
            response = as_user("alice").delete(f"/memories/m1?db_id={db_id}")

        assert response.status_code == 204
        memory_sql = statements(on_memory_db)
        audit_sql = [sql for sql in statements(on_default) if "memorydeletion" in sql]
        if db_id == "default" and memory_connection.vendor == "postgresql":
            # One statement deletes and records: `WITH gone AS (DELETE ...) INSERT ...`.
            (sql,) = memory_sql
            assert re.match(r"WITH gone AS \(DELETE FROM .* RETURNING", sql)
            assert 'INSERT INTO "memories_memorydeletion"' in sql
            assert "SELECT memory_id" not in sql.split("RETURNING")[0]
            return
        if db_id == "default":
            # One connection: its capture holds both statements.
            assert len(memory_sql) == 2
            memory_sql = [sql for sql in memory_sql if "memorydeletion" not in sql]
        else:
            assert len(statements(on_default)) == 1
        assert len(memory_sql) == 1
        assert memory_sql[0].startswith("DELETE FROM")
        assert "SELECT" not in memory_sql[0].upper()
        assert len(audit_sql) == 1 and audit_sql[0].startswith("INSERT INTO")


class BatchRecordTests:
    def test_one_record_per_batch_with_its_ids_and_owners_in_code_point_order(self, db_id):
        for memory_id, owner in [("m1", "alice"), ("m2", "Bob"), ("m3", "alice"), ("m4", None)]:
            memory_create(db_id, memory_id=memory_id, user_id=owner)
        memory_create(db_id, memory_id="kept", user_id="alice")

        deletion = memories_delete(
            target=target(db_id),
            memory_ids=["m1", "m2", "m3", "m4", "m1", "absent"],
            user_id=None,
            actor="root",
            channel=Channel.API,
            with_rows=True,
        )

        assert deletion.count == 4
        assert sorted(deletion.rows, key=lambda memory: memory.memory_id) == [
            DeletedMemory("m1", "alice"),
            DeletedMemory("m2", "Bob"),
            DeletedMemory("m3", "alice"),
            DeletedMemory("m4", None),
        ]
        assert memory_ids_in(db_id) == {"kept"}
        record = MemoryDeletion.objects.get()
        assert sorted(record.memory_ids) == ["m1", "m2", "m3", "m4"]
        assert (record.user_ids, record.count) == (["Bob", "alice"], 4)
        assert (record.actor, record.db_id, record.table_name) == ("root", db_id, "agno_memories")
        assert deletion.record_id == record.pk

    def test_nothing_deleted_writes_no_record(self, db_id):
        memory_create(db_id, memory_id="m1", user_id="alice")

        deletion = memories_delete(
            target=target(db_id),
            memory_ids=["m1", "m2"],
            user_id="bob",
            actor="bob",
            channel=Channel.API,
            with_rows=True,
        )

        assert (deletion.count, deletion.rows, deletion.record_id) == (0, (), None)
        assert memory_ids_in(db_id) == {"m1"}
        assert not MemoryDeletion.objects.exists()


class RowsOnRequestTests:
    """Whether or not the caller asks for the deleted rows, the deletion, its record and its
    log line are the same."""

    def test_deletes_records_and_logs_alike_with_and_without_rows(self, db_id, caplog):
        for memory_id, owner in [("m1", "alice"), ("m2", "Bob"), ("m3", "alice")]:
            memory_create(db_id, memory_id=memory_id, user_id=owner)
        for memory_id, owner in [("n1", "alice"), ("n2", "Bob"), ("n3", "alice")]:
            memory_create(db_id, memory_id=memory_id, user_id=owner)
        common: dict[str, Any] = {
            "target": target(db_id),
            "user_id": None,
            "actor": "root",
            "channel": Channel.API,
        }

        with caplog.at_level(logging.INFO, logger="memories.deletions"):
            counted = memories_delete(memory_ids=["m1", "m2", "m3", "m1", "absent"], **common)
            listed = memories_delete(memory_ids=["n1", "n2", "n3"], with_rows=True, **common)

        assert (counted.count, counted.rows, listed.count, len(listed.rows)) == (3, (), 3, 3)
        assert memory_ids_in(db_id) == set()
        counted_record, listed_record = MemoryDeletion.objects.order_by("id")
        assert sorted(counted_record.memory_ids) == ["m1", "m2", "m3"]
        assert sorted(listed_record.memory_ids) == ["n1", "n2", "n3"]
        assert (counted_record.user_ids, counted_record.count) == (["Bob", "alice"], 3)
        assert (listed_record.user_ids, listed_record.count) == (["Bob", "alice"], 3)
        counted_line, listed_line = deletion_log(caplog)
        assert counted_line["audit_record"] == counted.record_id == counted_record.pk
        assert listed_line["audit_record"] == listed.record_id == listed_record.pk
        assert {**counted_line, "audit_record": None} == {**listed_line, "audit_record": None}

    def test_only_what_the_owner_owns_and_nothing_logs_not_found(self, db_id, caplog):
        memory_create(db_id, memory_id="m1", user_id="alice")

        with caplog.at_level(logging.INFO, logger="memories.deletions"):
            owner: dict[str, Any] = {"user_id": "bob", "actor": "bob", "channel": Channel.API}
            deletion = memories_delete(target=target(db_id), memory_ids=["m1", "m2"], **owner)

        assert deletion.count == 0
        assert memory_ids_in(db_id) == {"m1"}
        assert not MemoryDeletion.objects.exists()
        (line,) = deletion_log(caplog)
        assert (line["outcome"], line["count"], line["audit_record"]) == ("not_found", 0, None)


class AuditFailureTests:
    @pytest.mark.parametrize("memory_db_id", ["default", "lite", "pg", "maria"])
    def test_deletion_is_rolled_back_when_its_audit_record_cannot_be_written(
        self, as_user, memory_db_id
    ):
        require_db_id(memory_db_id)
        memory_create(memory_db_id, memory_id="m1", user_id="alice")
        client = as_user("alice")
        # A real fault: the audit table is gone (inside the test's transaction).
        with connections["default"].cursor() as cursor:
            cursor.execute("ALTER TABLE memories_memorydeletion RENAME TO audit_unavailable")

        response = client.delete(f"/memories/m1?db_id={memory_db_id}")

        assert response.status_code == 500
        assert response.json()["error_code"] == "INTERNAL_SERVER_ERROR"
        assert memory_ids_in(memory_db_id) == {"m1"}
