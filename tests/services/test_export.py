"""The export service: each table's rows streamed, with an audit record opened before the
first row and completed with the count after the last."""

import itertools
import json
import threading
import tracemalloc

import pytest
from django.db import connections

from memories.models import Channel, MemoryExport
from memories.owners import NOBODY
from memories.services import ExportOutcome, memories_export
from memories.services.export import PROGRESS_ROWS
from tests.conftest import require_db_id
from tests.factories import memory_create, memory_ids_in, model_of, target

pytestmark = pytest.mark.django_db(databases="__all__")


def memory_id_of(line: str) -> str:
    return str(json.loads(line)["memory_id"])


def test_exports_exactly_the_users_memories_table_after_table(db_id):
    elsewhere = "lite" if db_id != "lite" else "default"
    memory_create(db_id, memory_id="a1", user_id="alice")
    memory_create(db_id, memory_id="A2", user_id="Alice")  # another owner, however collated
    memory_create(db_id, memory_id="b1", user_id="bob")
    memory_create(elsewhere, memory_id="a3", user_id="alice")
    targets = [target(db_id), target(elsewhere)]

    rows = memories_export(targets=targets, user_id="alice", actor="root", channel=Channel.API)

    assert [(where.db_id, memory_id_of(line)) for where, line in rows] == [
        (db_id, "a1"),
        (elsewhere, "a3"),
    ]
    records = MemoryExport.objects.order_by("id")
    assert [(r.db_id, r.table_name, r.user_id, r.count, r.finished) for r in records] == [
        (db_id, "agno_memories", "alice", 1, True),
        (elsewhere, "agno_memories", "alice", 1, True),
    ]
    assert {(r.actor, r.channel) for r in records} == {("root", Channel.API)}
    assert memory_ids_in(db_id) == {"a1", "A2", "b1"}
    assert memory_ids_in(elsewhere) == {"a3"}


def test_no_owner_exports_everyones_and_nobody_exports_nothing(db_id):
    memory_create(db_id, memory_id="a1", user_id="alice")
    memory_create(db_id, memory_id="u1", user_id=None)

    everyone = memories_export(
        targets=[target(db_id)], user_id=None, actor="root", channel=Channel.API
    )
    nobody = memories_export(
        targets=[target(db_id)], user_id=NOBODY, actor="bob", channel=Channel.API
    )

    assert sorted(memory_id_of(line) for _, line in everyone) == ["a1", "u1"]
    assert list(nobody) == []
    record = MemoryExport.objects.get()  # none for an export that could find nothing
    assert (record.actor, record.user_id, record.count, record.finished) == ("root", None, 2, True)


@pytest.fixture(params=["lite", "pg", "maria"])
def server_db_id(request) -> str:
    return str(request.param)


def test_a_stream_stopped_early_leaves_an_unfinished_record():
    for number in range(3):
        memory_create(memory_id=f"a{number}", user_id="alice")
    rows = memories_export(targets=[target()], user_id="alice", actor="alice", channel=Channel.API)

    next(rows)
    rows.close()  # the client went away

    record = MemoryExport.objects.get()
    assert (record.count, record.finished) == (1, False)


@pytest.mark.parametrize("server_db_id", ["lite", "pg", "maria"])
def test_export_memory_stays_flat_however_many_rows(server_db_id):
    require_db_id(server_db_id)
    model = model_of(server_db_id)
    model._default_manager.using(server_db_id).bulk_create(
        model(memory_id=f"m{n:06}", memory="x" * 200, user_id="alice", created_at=1)
        for n in range(30000)
    )

    def peak_while_exporting(rows: int) -> int:
        exported = memories_export(
            targets=[target(server_db_id)], user_id="alice", actor="a", channel=Channel.API
        )
        tracemalloc.start()
        try:
            for number, _ in enumerate(exported, start=1):
                if number == rows:
                    exported.close()
                    break
            return tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()

    small, large = peak_while_exporting(3000), peak_while_exporting(30000)

    # Ten times the rows, not ten times the memory: the chunks are what is held.
    assert large < 1.5 * small, (small, large)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_export_holds_no_transaction_between_its_chunks(server_db_id):
    """Each chunk is a short read of its own: between two, a slow client's export holds no
    transaction (nor a pooler's server connection), and a delete committed meanwhile is
    seen by the next chunk."""
    require_db_id(server_db_id)
    model = model_of(server_db_id)
    model._default_manager.using(server_db_id).bulk_create(
        model(memory_id=f"m{n:05}", memory="x", user_id="alice", created_at=1) for n in range(5000)
    )
    rows = memories_export(
        targets=[target(server_db_id)], user_id="alice", actor="a", channel=Channel.API
    )
    first = next(rows)
    connection = connections[server_db_id]
    in_transaction = connection.in_atomic_block or not connection.get_autocommit()

    def delete_the_rest_elsewhere() -> None:
        try:
            model._default_manager.using(server_db_id).filter(memory_id__gte="m02000").delete()
        finally:
            connections.close_all()

    writer = threading.Thread(target=delete_the_rest_elsewhere)
    writer.start()
    writer.join()
    exported = [first, *rows]

    assert not in_transaction
    # The first chunk (2000 rows) was read before the delete; the rest after it.
    assert len(exported) == 2000
    assert memory_ids_in(server_db_id) == {f"m{n:05}" for n in range(2000)}


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_database_failing_midway_is_named_and_the_next_table_exported():
    """PostgreSQL's server ends the export's session between two chunks (a real fault, as a
    restart or an administrator would): the table is named in the outcome and recorded as
    unfinished with the rows it sent; the next table is exported whole."""
    require_db_id("pg")
    model = model_of("pg")
    model._default_manager.using("pg").bulk_create(
        model(memory_id=f"m{n:05}", memory="x", user_id="alice", created_at=1) for n in range(3000)
    )
    memory_create("lite", memory_id="a1", user_id="alice")
    outcome = ExportOutcome()
    rows = memories_export(
        targets=[target("pg"), target("lite")],
        user_id="alice",
        actor="root",
        channel=Channel.API,
        outcome=outcome,
    )
    first = next(rows)  # the first chunk of 2000 is read; the session is in its snapshot
    with connections["pg"].cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()

    def end_the_session() -> None:
        try:
            with connections["pg"].cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s)", [pid])
        finally:
            connections.close_all()

    killer = threading.Thread(target=end_the_session)
    killer.start()
    killer.join()
    exported = [first, *rows]
    connections["pg"].close()  # this thread's session is the one that was ended

    from_pg = [memory_id_of(line) for where, line in exported if where.db_id == "pg"]
    assert from_pg == [f"m{n:05}" for n in range(2000)]
    assert [(w.db_id, memory_id_of(line)) for w, line in exported if w.db_id != "pg"] == [
        ("lite", "a1")
    ]
    assert list(outcome.unreachable) == [target("pg")]
    records = {r.db_id: (r.count, r.finished) for r in MemoryExport.objects.all()}
    assert records == {"pg": (2000, False), "lite": (1, True)}
    assert len(memory_ids_in("pg")) == 3000


def test_a_stream_waiting_at_a_row_has_its_record_up_to_date_within_progress_rows():
    """A server with full buffers stops asking for rows, and no second passes for the
    export: its record is brought up to date by rows too, so a process killed then leaves
    the rows handed out, within PROGRESS_ROWS."""
    model = model_of("default")
    model._default_manager.bulk_create(
        model(memory_id=f"m{n:05}", user_id="alice", memory="m", created_at=1)
        for n in range(PROGRESS_ROWS * 2 + 10)
    )
    rows = memories_export(targets=[target()], user_id="alice", actor="alice", channel=Channel.API)

    handed_out = sum(1 for _ in itertools.islice(rows, PROGRESS_ROWS * 2 + 5))

    record = MemoryExport.objects.get()
    assert (record.count, record.finished) == (PROGRESS_ROWS * 2, False)
    assert handed_out - record.count < PROGRESS_ROWS
    rows.close()
