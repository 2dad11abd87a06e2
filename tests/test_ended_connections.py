"""A PostgreSQL connection that the server ended, found by the request that uses it next.

In a host that keeps its connections without health checks (Django's default), the request's
first statement fails, and so does every later statement of the request on that connection:
psycopg 3 raises OperationalError for each, psycopg2 raises InterfaceError for the later ones,
which is no DatabaseError. Either way each answer is the one of a database that is down, in
the documented shape: never an unhandled error, never a silent partial success.
tests/e2e/test_psycopg2.py runs this file again with Django's engine on psycopg2.
"""

import json
import logging
import os
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections

from memories.models import MemoryDeletion, MemoryExport
from tests.conftest import connection_ended, require_db_id
from tests.factories import memory_create, memory_ids_in, model_of
from tests.test_metrics import value

# Real transactions: the ended connection is closed and reopened, no test transaction spans it.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

INTERNAL_ERROR = {"detail": "Internal server error", "error_code": "INTERNAL_SERVER_ERROR"}
PG_TABLES = [
    {"db_id": "pg", "table": "agno_memories"},
    {"db_id": "pg", "table": "ai.agno_memories"},
]


@pytest.fixture(autouse=True)
def postgresql_running() -> None:
    require_db_id("pg")


@pytest.fixture
def chefs(ai_table_emptied):
    """Memories of the agent `chef` in both tables of PostgreSQL and in both SQLite databases."""
    for db_id in ("default", "lite", "pg"):
        memory_create(db_id, memory_id=f"{db_id}-chef", user_id="alice", agent_id="chef")
    memory_create("pg", "ai.agno_memories", memory_id="ai-chef", user_id="alice", agent_id="chef")


def test_the_engine_runs_on_the_driver_the_run_asks_for():
    require_db_id("pg")
    driver = connections["pg"].Database  # type: ignore[attr-defined]
    assert driver.__name__ == os.environ.get("AGENTOS_TEST_PG_DRIVER", "psycopg")


def unhandled(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.getMessage().startswith("Unhandled")]


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("delete", "/memories/m1", None),
        ("delete", "/memories", {"memory_ids": ["m1"]}),
        ("post", "/memories", {"memory": "Likes tea"}),
        ("patch", "/memories/m1", {"topics": ["drinks"]}),
        ("get", "/memories", None),
    ],
)
def test_a_call_answers_500_counts_the_failure_and_changes_nothing(
    as_user, caplog, method, path, body
):
    memory_create("pg", memory_id="m1", user_id="alice", topics=["food"])
    before = value("memories_database_errors_total", db_id="pg")

    with caplog.at_level(logging.ERROR, logger="memories"), connection_ended("pg"):
        response = getattr(as_user("alice"), method)(f"{path}?db_id=pg", body, format="json")

    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR
    assert value("memories_database_errors_total", db_id="pg") == before + 1
    assert unhandled(caplog) == []
    rows = model_of("pg")._default_manager.using("pg").values_list("memory_id", "topics")
    assert list(rows) == [("m1", ["food"])]
    assert not MemoryDeletion.objects.filter(db_id="pg").exists()


def test_the_databases_command_names_both_tables_unreachable():
    out = StringIO()

    with connection_ended("pg"):
        call_command("list_memory_databases", stdout=out)

    states = {tuple(line.split()[:2]): line.split()[3] for line in out.getvalue().splitlines()[1:]}
    assert states[("pg", "agno_memories")] == "unreachable"
    assert states[("pg", "ai.agno_memories")] == "unreachable"
    assert states[("lite", "agno_memories")] == "present"


def test_a_deletion_by_filter_deletes_the_others_and_names_both_tables(as_user, chefs, caplog):
    body = {"agent_id": "chef", "dry_run": False}

    with caplog.at_level(logging.ERROR, logger="memories"), connection_ended("pg"):
        response = as_user("root", admin=True).post("/memory_deletions", body, format="json")

    assert response.status_code == 503
    answer = response.json()
    assert answer["error_code"] == "DATABASE_UNAVAILABLE"
    assert "pg/agno_memories" in answer["detail"] and "pg/ai.agno_memories" in answer["detail"]
    assert unhandled(caplog) == []
    assert memory_ids_in("default") == set() and memory_ids_in("lite") == set()
    assert memory_ids_in("pg") == {"pg-chef"}
    assert memory_ids_in("pg", "ai.agno_memories") == {"ai-chef"}
    assert sorted(MemoryDeletion.objects.values_list("db_id", "count")) == [
        ("default", 1),
        ("lite", 1),
    ]


def test_a_dry_run_counts_the_others_and_names_both_tables(as_user, chefs):
    body = {"agent_id": "chef", "dry_run": True}

    with connection_ended("pg"):
        response = as_user("root", admin=True).post("/memory_deletions", body, format="json")

    assert response.status_code == 503
    answer = response.json()
    assert answer["error_code"] == "DATABASE_UNAVAILABLE"
    assert "pg/agno_memories" in answer["detail"] and "pg/ai.agno_memories" in answer["detail"]
    assert memory_ids_in("pg") == {"pg-chef"} and memory_ids_in("default") == {"default-chef"}


def test_an_export_of_every_database_ends_naming_both_tables(as_user, chefs):
    with connection_ended("pg"):
        response = as_user("root", admin=True).get(
            "/memory_export", {"user_id": "alice", "all_databases": "true"}
        )
        lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]

    assert response.status_code == 200
    *memories, last = lines
    assert [(line["db_id"], line["memory_id"]) for line in memories] == [
        ("default", "default-chef"),
        ("lite", "lite-chef"),
    ]
    assert last["error_code"] == "DATABASE_UNAVAILABLE"
    assert last["unreachable"] == PG_TABLES
    records = {
        (r.db_id, r.table_name): (r.count, r.finished)
        for r in MemoryExport.objects.filter(db_id__in=["default", "lite", "pg"])
    }
    assert records == {
        ("default", "agno_memories"): (1, True),
        ("lite", "agno_memories"): (1, True),
        ("pg", "agno_memories"): (0, False),
        ("pg", "ai.agno_memories"): (0, False),
    }


def test_an_erasure_command_erases_the_others_and_names_both_tables(chefs):
    with connection_ended("pg"), pytest.raises(CommandError) as unfinished:
        call_command("erase_user_memories", "alice", "--yes", stdout=StringIO())

    assert "pg/agno_memories: database failed" in str(unfinished.value)
    assert "pg/ai.agno_memories: database failed" in str(unfinished.value)
    assert memory_ids_in("default") == set() and memory_ids_in("lite") == set()
    assert memory_ids_in("pg") == {"pg-chef"}
    assert memory_ids_in("pg", "ai.agno_memories") == {"ai-chef"}
