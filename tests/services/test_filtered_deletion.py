"""Deletion by filter: batches, each one transaction with one audit record, until a final
count finds nothing matching left; a batch lost to a deadlock runs again."""

import pytest
from django.db import OperationalError, connections
from django.test.utils import CaptureQueriesContext

from memories.exceptions import FilterRequiredError
from memories.models import Channel, MemoryDeletion
from memories.selectors import MemoryFilter
from memories.services import memories_delete_matching, user_memories_erase
from memories.statements import Statements
from memories.targets import resolve_target
from tests.conftest import require_db_id
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")


def test_an_empty_filter_is_refused_before_anything_is_deleted(db_id):
    memory_create(db_id, memory_id="a0", user_id="alice")

    with pytest.raises(FilterRequiredError):
        memories_delete_matching(
            memory_filter=MemoryFilter(),
            targets=[resolve_target(db_id=db_id)],
            actor="root",
            channel=Channel.API,
        )

    assert memory_ids_in(db_id) == {"a0"}
    assert not MemoryDeletion.objects.exists()


def test_deletes_what_matches_every_criterion_and_skips_absent_tables(db_id):
    elsewhere = "lite" if db_id != "lite" else "default"
    memory_create(db_id, memory_id="c1", user_id="alice", agent_id="chef")
    memory_create(db_id, memory_id="c2", user_id="bob", agent_id="chef")
    memory_create(db_id, memory_id="k1", user_id="alice", agent_id="Chef")
    memory_create(elsewhere, memory_id="c3", user_id="alice", agent_id="chef")

    deleted = memories_delete_matching(
        memory_filter=MemoryFilter(user_id="alice", agent_id="chef"),
        targets=[
            resolve_target(db_id=db_id),
            resolve_target(db_id="lite", table="missing_memories"),
        ],
        actor="root",
        channel=Channel.API,
    )

    assert deleted == {resolve_target(db_id=db_id): 1}
    assert memory_ids_in(db_id) == {"c2", "k1"}
    assert memory_ids_in(elsewhere) == {"c3"}
    record = MemoryDeletion.objects.get()
    assert (record.db_id, record.table_name, record.memory_ids) == (db_id, "agno_memories", ["c1"])
    assert (record.actor, record.channel, record.user_ids) == ("root", Channel.API, ["alice"])


def test_each_batch_is_one_delete_that_picks_its_rows_itself(db_id):
    for number in range(7):
        memory_create(db_id, memory_id=f"a{number}", user_id="alice")
    memory_create(db_id, memory_id="b0", user_id="Alice")  # another owner, however collated
    target = resolve_target(db_id=db_id)
    connection = connections[target.alias]

    with CaptureQueriesContext(connection) as captured:
        totals = user_memories_erase(
            user_id="alice", targets=[target], actor="root", channel=Channel.COMMAND, batch_size=3
        )

    assert totals == {target: 7}
    assert memory_ids_in(db_id) == {"b0"}
    deletes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith(("DELETE", "WITH GONE AS (DELETE"))
    ]
    # A count, batches of 3, 3 and 1 (a round deletes what its count found), a final count.
    assert len(deletes) == 3
    reads = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT") and target.table in q["sql"]
    ]
    counts = [sql for sql in reads if "COUNT(*)" in sql.upper()]
    assert len(counts) == 2
    if connection.vendor != "mysql":
        # No ids are read into Python first: only the deletes, the counts and the table
        # lookup ran.
        assert reads == counts
    records = MemoryDeletion.objects.filter(db_id=db_id).order_by("id")
    assert [record.count for record in records] == [3, 3, 1]
    assert sorted(i for record in records for i in record.memory_ids) == [
        f"a{number}" for number in range(7)
    ]
    assert all(record.user_ids == ["alice"] for record in records)


def test_a_batch_rolled_back_as_a_deadlock_victim_is_run_again(monkeypatch):
    require_db_id("maria")
    for number in range(3):
        memory_create("maria", memory_id=f"a{number}", user_id="alice")
    # A fault we cannot cause on demand: InnoDB picks the batch as a deadlock's victim once.
    real_delete = Statements.delete
    calls = {"count": 0}

    def deadlocked_once(self, target, selection):
        calls["count"] += 1
        if calls["count"] == 1:
            raise OperationalError(1213, "Deadlock found when trying to get lock")
        return real_delete(self, target, selection)

    monkeypatch.setattr(Statements, "delete", deadlocked_once)
    totals = user_memories_erase(
        user_id="alice", targets=[resolve_target(db_id="maria")], actor="a", channel=Channel.API
    )

    assert list(totals.values()) == [3] and calls["count"] == 2
    assert memory_ids_in("maria") == set()
    assert sum(r.count for r in MemoryDeletion.objects.filter(db_id="maria")) == 3
