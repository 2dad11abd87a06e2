"""A host's ATOMIC_REQUESTS: Django wraps each of the host's views in a transaction per
database. The memory views run their own (each deletion, each batch of a deletion by filter,
committed on its own), so a host that sets it changes none of what they guarantee."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connections, transaction

from memories.exceptions import DeletionUnfinishedError
from memories.models import Channel, MemoryDeletion
from memories.selectors import MemoryFilter, deletion_plan
from memories.services.filtered_deletion import memories_delete_matching
from memories.signals import memories_deleted
from memories.statement_limits import statement_time_limit
from memories.statements.postgresql import PostgreSQLStatements
from tests.conftest import DOWN, database_down, require_db_id
from tests.factories import memory_create, memory_ids_in, target
from tests.test_statement_limits import LIMIT, limited, table_locked

AI = "ai.agno_memories"
# A database of the host's, no memory database.
HOST_ALIAS = "host_only"


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


@contextmanager
def host_database_down() -> Iterator[None]:
    """A database of the host's own (no memory database of the app's), with ATOMIC_REQUESTS
    on, whose server is down: nothing listens on its port."""
    connections.settings[HOST_ALIAS] = {**connections.settings["pg"], "PORT": "9"}
    connections.settings[HOST_ALIAS]["ATOMIC_REQUESTS"] = True
    try:
        yield
    finally:
        connections[HOST_ALIAS].close()
        del connections[HOST_ALIAS]
        del connections.settings[HOST_ALIAS]


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_host_database_that_is_down_is_no_concern_of_the_app(api, as_user, atomic_requests):
    # Django would open a transaction on it around each view: the app's answer 500 (Django's
    # page, not the API's shape), its liveness probe too, which does no I/O.
    require_db_id("pg")
    memory_create("pg", memory_id="mine", user_id="alice")

    with host_database_down():
        health = api.get("/health")
        deleted = as_user("alice").delete("/memories/mine?db_id=pg")
        document = api.get("/openapi.json")

    assert (health.status_code, deleted.status_code, document.status_code) == (200, 204, 200)
    assert memory_ids_in("pg") == set()
    assert [r.memory_ids for r in MemoryDeletion.objects.all()] == [["mine"]]


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_memory_database_that_is_down_is_named_by_the_readiness_probe(api, atomic_requests):
    require_db_id("pg")
    with database_down("pg", **DOWN["closed port"]):
        response = api.get("/readyz")

    assert response.status_code == 503
    assert response.json()["detail"] == "Not ready: database pg"


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_in_a_callers_transaction_a_cut_table_leaves_the_next_one_of_its_database_done(
    ai_table_emptied,
):
    # A host's own code calling the services inside its transaction, under the limit.
    memory_create("pg", memory_id="locked", user_id="alice", agent_id="chef")
    memory_create("pg", AI, memory_id="reachable", user_id="alice", agent_id="chef")
    chef = MemoryFilter(agent_id="chef")
    targets = [target("pg"), target("pg", AI)]

    with limited, table_locked("pg"), statement_time_limit(), transaction.atomic(using="pg"):
        plan = deletion_plan(targets=targets, memory_filters=[chef])
        with pytest.raises(DeletionUnfinishedError) as unfinished:
            memories_delete_matching(
                memory_filter=chef, targets=targets, actor="host", channel=Channel.COMMAND
            )

    assert [(p.target.table, p.count, p.timed_out) for p in plan] == [
        ("agno_memories", None, LIMIT),
        (AI, 1, None),
    ]
    assert unfinished.value.deleted == {("pg", "agno_memories"): 0, ("pg", AI): 1}
    assert unfinished.value.timed_out == {("pg", "agno_memories"): LIMIT}
    assert memory_ids_in("pg") == {"locked"}
    assert memory_ids_in("pg", AI) == set()
