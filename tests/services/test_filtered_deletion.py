"""Deletion by filter: batches, each one transaction with one audit record, until a final
count finds nothing matching left; a batch lost to a deadlock runs again; a memory an agent
rewrites while a purge runs no longer matches, and stays."""

import itertools
import threading

import pytest
import time_machine
from django.db import OperationalError, connections
from django.test.utils import CaptureQueriesContext

from memories.exceptions import FilterRequiredError, MemoryNotFoundError
from memories.models import Channel, MemoryDeletion
from memories.retention import RetentionRule
from memories.selectors import MemoryFilter
from memories.services import (
    DeletedBatch,
    memories_delete_matching,
    memory_update,
    user_memories_erase,
)
from memories.statements import Statements
from memories.targets import resolve_target
from tests.conftest import ISOLATION_LEVELS, isolation_level, require_db_id
from tests.factories import memory_create, memory_ids_in, target
from tests.test_retention import EPOCH_NOW, NOW, aged

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
        if q["sql"].lstrip().upper().startswith("SELECT")
        and f"FROM {target.quoted_table}" in q["sql"]
    ]
    counts = [sql for sql in reads if "COUNT(*)" in sql.upper()]
    assert len(counts) == 2
    if connection.vendor != "mysql":
        # No ids are read into Python first: of the memory table, only the deletes and the
        # counts read.
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


def refresh(db_id: str, memory_id: str) -> None:
    """What an agent does when it rewrites a memory: its updated_at becomes now."""
    memory_update(
        target=target(db_id), memory_id=memory_id, user_id=None, changes={"memory": "fresh"}
    )


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_memories_updated_during_a_purge_are_kept_and_old_ones_added_are_taken(db_id):
    with time_machine.travel(NOW, tick=False):
        for number in range(20):
            aged(db_id, f"old{number}", 40)
        rule = RetentionRule(db_id=db_id, max_age_days=30)
        refreshed: list[str] = []
        imported: list[str] = []

        def write_between_batches(batch: DeletedBatch) -> None:
            if refreshed:
                return

            def writer() -> None:
                # An agent touches two old memories and imports an old one, on its own
                # connection, between two batches of the purge.
                try:
                    for memory_id in sorted(memory_ids_in(db_id))[:2]:
                        refresh(db_id, memory_id)
                        refreshed.append(memory_id)
                    aged(db_id, "imported", 400)
                    imported.append("imported")
                finally:
                    connections.close_all()

            thread = threading.Thread(target=writer)
            thread.start()
            thread.join()

        deleted = memories_delete_matching(
            memory_filter=rule.memory_filter(EPOCH_NOW),
            targets=rule.targets(),
            actor="retention",
            channel=Channel.RETENTION,
            batch_size=5,
            on_batch=write_between_batches,
        )

    assert len(refreshed) == 2 and imported == ["imported"]
    assert memory_ids_in(db_id) == set(refreshed)
    assert sum(deleted.values()) == 19
    audited = [i for r in MemoryDeletion.objects.filter(db_id=db_id) for i in r.memory_ids]
    assert sorted(audited) == sorted(
        {f"old{n}" for n in range(20)} - set(refreshed) | {"imported"}
    )


@pytest.mark.parametrize("level", ISOLATION_LEVELS)
@pytest.mark.parametrize("server_db_id", ["pg", "maria"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_purge_never_deletes_a_memory_an_agent_has_just_updated(server_db_id, level):
    # At SERIALIZABLE too, where the host's connections would fail the purge's batches (and
    # the refreshes) that race each other, were they not at READ COMMITTED.
    require_db_id(server_db_id)
    with isolation_level(server_db_id, level), time_machine.travel(NOW, tick=False):
        for number in range(300):
            aged(server_db_id, f"old{number:03}", 40)
        rule = RetentionRule(db_id=server_db_id, max_age_days=30)
        updated: list[str] = []
        stop = threading.Event()

        # The writers chase the purge's front: ids in the order it tends to take them.
        next_number = itertools.count()

        def writer() -> None:
            try:
                while not stop.is_set():
                    memory_id = f"old{next(next_number) % 300:03}"
                    try:
                        refresh(server_db_id, memory_id)
                    except MemoryNotFoundError:
                        continue  # already purged: nothing to refresh
                    except OperationalError as error:
                        if "Deadlock" in str(error):
                            continue  # the database chose this write as a deadlock's victim
                        raise
                    updated.append(memory_id)
            finally:
                connections.close_all()

        threads = [threading.Thread(target=writer) for _ in range(3)]
        for thread in threads:
            thread.start()
        try:
            deleted = memories_delete_matching(
                memory_filter=rule.memory_filter(EPOCH_NOW),
                targets=rule.targets(),
                actor="retention",
                channel=Channel.RETENTION,
                batch_size=1,
            )
        finally:
            stop.set()
            for thread in threads:
                thread.join()

    left = memory_ids_in(server_db_id)
    # Every memory an agent refreshed survives; every other one is gone.
    assert updated and left == set(updated)
    assert sum(deleted.values()) == 300 - len(left)
    audited = [i for r in MemoryDeletion.objects.filter(db_id=server_db_id) for i in r.memory_ids]
    assert sorted(audited) == sorted({f"old{n:03}" for n in range(300)} - left)
