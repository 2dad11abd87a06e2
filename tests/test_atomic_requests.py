"""A host's ATOMIC_REQUESTS: Django wraps each of the host's views in a transaction per
database. The memory views run their own (each deletion, each batch of a deletion by filter,
committed on its own), so a host that sets it changes none of what they guarantee."""

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections

from memories.models import MemoryDeletion
from memories.signals import memories_deleted
from memories.statements.postgresql import PostgreSQLStatements
from tests.conftest import require_db_id
from tests.factories import memory_create, memory_ids_in, model_of
from tests.test_statement_limits import LIMIT, limited, table_locked

AI = "ai.agno_memories"


@pytest.fixture
def ai_table_emptied() -> Iterator[None]:
    """Agno's table in schema `ai` is no table of Django's: a transactional test's flush
    leaves its rows, before the test (another's) and after it."""
    require_db_id("pg")
    rows = model_of("pg", AI)._default_manager.using("pg")
    rows.all().delete()
    yield
    rows.all().delete()


def ids_seen_by_another_connection(db_id: str) -> set[str]:
    """The memories another connection (a thread's own) sees: what is committed."""
    seen: list[set[str]] = []

    def read() -> None:
        try:
            seen.append(memory_ids_in(db_id))
        finally:
            connections.close_all()

    reader = threading.Thread(target=read)
    reader.start()
    reader.join()
    return seen[0]


@pytest.mark.parametrize(
    ("dry_run", "detail", "left_in_ai"),
    [
        (
            False,
            "Unfinished after deleting 1 memory (pg/agno_memories: no answer within"
            f" {LIMIT:g} seconds)",
            {"other"},
        ),
        (
            True,
            f"The database did not answer within {LIMIT:g} seconds (pg/agno_memories): counted 1"
            " memory in the others; nothing was deleted",
            {"reachable", "other"},
        ),
    ],
    ids=["deleting", "dry-run"],
)
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_table_cut_by_the_limit_leaves_the_next_table_of_its_database_to_be_done(
    as_user, atomic_requests, ai_table_emptied, dry_run, detail, left_in_ai
):
    # PostgreSQL refuses every statement of a transaction after one failed in it: the cut
    # count of the first table must not fail (or hide) the second table's.
    require_db_id("pg")
    memory_create("pg", memory_id="locked", user_id="alice", agent_id="chef")
    memory_create("pg", AI, memory_id="reachable", user_id="alice", agent_id="chef")
    memory_create("pg", AI, memory_id="other", user_id="alice", agent_id="cook")
    body = {"agent_id": "chef", "dry_run": dry_run}  # every configured table

    with limited, table_locked("pg"):
        response = as_user("root", admin=True).post("/memory_deletions", body, format="json")

    assert response.status_code == 500
    assert response.json() == {"detail": detail, "error_code": "STATEMENT_TIMEOUT"}
    assert memory_ids_in("pg") == {"locked"}
    assert memory_ids_in("pg", AI) == left_in_ai
    records = [(r.table_name, r.memory_ids) for r in MemoryDeletion.objects.all()]
    assert records == ([] if dry_run else [(AI, ["reachable"])])


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_each_batch_of_a_deletion_by_filter_is_committed_before_the_next(
    as_user, atomic_requests, monkeypatch
):
    # A batch bounds what one transaction locks and records: inside the host's transaction
    # all of them would be committed together, when the request ends.
    require_db_id("pg")
    monkeypatch.setattr(PostgreSQLStatements, "batch_size", 1)
    for number in range(3):
        memory_create("pg", memory_id=f"m{number}", user_id="alice", agent_id="chef")
    left_after_each_batch: list[int] = []

    def count_what_is_left(**kwargs: Any) -> None:
        left_after_each_batch.append(len(ids_seen_by_another_connection("pg")))

    memories_deleted.connect(count_what_is_left)
    try:
        body = {"agent_id": "chef", "db_id": "pg", "table": "agno_memories", "dry_run": False}
        response = as_user("root", admin=True).post("/memory_deletions", body, format="json")
    finally:
        memories_deleted.disconnect(count_what_is_left)

    assert response.status_code == 200, response.content
    assert left_after_each_batch == [2, 1, 0]
    assert memory_ids_in("pg") == set()
    assert MemoryDeletion.objects.count() == 3


@pytest.mark.parametrize("db_id", ["pg", "maria", "lite"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_delete_is_committed_with_its_record_when_its_answer_is_sent(
    as_user, atomic_requests, db_id
):
    require_db_id(db_id)
    memory_create(db_id, memory_id="mine", user_id="alice")
    memory_create(db_id, memory_id="theirs", user_id="bob")

    assert as_user("alice").delete(f"/memories/mine?db_id={db_id}").status_code == 204
    assert as_user("alice").delete(f"/memories/theirs?db_id={db_id}").status_code == 404

    assert ids_seen_by_another_connection(db_id) == {"theirs"}
    (record,) = MemoryDeletion.objects.all()
    assert record.memory_ids == ["mine"]
