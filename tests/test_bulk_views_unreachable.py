"""The bulk API views (memories/bulk_views.py: export, deletion by filter) over every database
with one of them down (a closed port, a missing database): the reachable databases are
served, the unreachable ones are named, in the answer and in the audit records; never a bare
500, never a silent partial success."""

import json

import pytest

from memories.models import MemoryDeletion, MemoryExport
from memories.targets import configured_tables
from tests.factories import memory_create, memory_ids_in

# Real transactions: the broken connection is closed and reopened, no test transaction spans it.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


@pytest.fixture
def seeded():
    """alice's and bob's memories in the databases that stay up."""
    memory_create("default", memory_id="a1", user_id="alice", agent_id="chef")
    memory_create("lite", memory_id="a2", user_id="alice", agent_id="chef")
    memory_create("lite", memory_id="b1", user_id="bob", agent_id="chef")


def down_tables(down: str) -> list[dict[str, str]]:
    return [{"db_id": down, "table": table} for table in configured_tables(down)]


def named(detail: str, down: str) -> bool:
    return all(f"{down}/{table}" in detail for table in configured_tables(down))


class ExportTests:
    def test_all_databases_serves_the_others_and_ends_naming_the_database_down(
        self, as_user, seeded, down
    ):
        response = as_user("root", admin=True).get(
            "/memory_export", {"user_id": "alice", "all_databases": "true"}
        )

        assert response.status_code == 200
        *memories, last = [
            json.loads(line) for line in b"".join(response.streaming_content).splitlines()
        ]
        assert [(line["db_id"], line["memory_id"]) for line in memories] == [
            ("default", "a1"),
            ("lite", "a2"),
        ]
        assert last["error_code"] == "DATABASE_UNAVAILABLE"
        assert last["unreachable"] == down_tables(down) and named(last["detail"], down)
        assert "memory_id" not in last and "127.0.0.1" not in last["detail"]
        records = {
            (r.db_id, r.table_name): (r.count, r.finished)
            for r in MemoryExport.objects.filter(db_id__in=["default", "lite", down])
        }
        assert records == {
            ("default", "agno_memories"): (1, True),
            ("lite", "agno_memories"): (1, True),
            **{(down, table): (0, False) for table in configured_tables(down)},
        }

    def test_all_databases_up_ends_with_the_last_memory(self, as_user, seeded):
        response = as_user("root", admin=True).get(
            "/memory_export", {"user_id": "alice", "all_databases": "true"}
        )

        lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
        assert all("error_code" not in line for line in lines)
        assert {line["memory_id"] for line in lines} == {"a1", "a2"}
        assert all(record.finished for record in MemoryExport.objects.all())


class DeletionByFilterTests:
    def test_without_db_id_deletes_in_the_others_and_answers_503_naming_the_database_down(
        self, as_user, seeded, down
    ):
        response = as_user("root", admin=True).post(
            "/memory_deletions", {"user_id": "alice", "dry_run": False}, format="json"
        )

        assert response.status_code == 503
        body = response.json()
        assert body["error_code"] == "DATABASE_UNAVAILABLE" and named(body["detail"], down)
        assert body["detail"].startswith("Unfinished after deleting 2 memories (")
        assert "127.0.0.1" not in body["detail"]
        assert memory_ids_in("default") == set()
        assert memory_ids_in("lite") == {"b1"}
        records = {(r.db_id, tuple(r.memory_ids)) for r in MemoryDeletion.objects.all()}
        assert records == {("default", ("a1",)), ("lite", ("a2",))}

    def test_a_dry_run_without_db_id_counts_the_others_and_answers_503(
        self, as_user, seeded, down
    ):
        response = as_user("root", admin=True).post(
            "/memory_deletions", {"agent_id": "chef", "dry_run": True}, format="json"
        )

        assert response.status_code == 503
        body = response.json()
        assert body["error_code"] == "DATABASE_UNAVAILABLE" and named(body["detail"], down)
        assert body["detail"].endswith("counted 3 memories in the others; nothing was deleted")
        assert (memory_ids_in("default"), memory_ids_in("lite")) == ({"a1"}, {"a2", "b1"})
        assert not MemoryDeletion.objects.exists()
