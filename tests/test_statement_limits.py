"""MEMORIES["STATEMENT_TIMEOUT"]: a statement of the app's requests that runs past the limit
is cut by its database, answered 500 STATEMENT_TIMEOUT, and leaves nothing half done; the
host's own statements on the same connections run as before."""

import json
import logging
import threading
import time
from collections.abc import Iterator
from contextlib import AbstractContextManager, contextmanager

import psycopg
import pytest
from django.db import DatabaseError, connections, transaction
from django.test import override_settings

from memories.admin.targets import unavailable_message
from memories.exception_handlers import api_exception_handler
from memories.exceptions import StatementTimeoutError
from memories.models import MemoryDeletion, MemoryExport
from memories.sqlstates import IN_FAILED_SQL_TRANSACTION, sqlstate
from memories.statement_limits import SQLiteLimit, statement_time_limit, statement_timeout_of
from tests.conftest import memories_with, require_db_id
from tests.factories import memory_create, memory_ids_in, target
from tests.poolers import POOL_SIZE, pgbouncer, through_pooler

LIMIT = 0.5
# How long another connection holds a lock: long past the limit, so a request that waits for
# it instead of being cut shows in its status and its duration.
HELD = 6.0

limited = override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=LIMIT))


@contextmanager
def locked(db_id: str, sql: str, params: list[str] | None = None) -> Iterator[None]:
    """Another real connection (of its own thread) runs `sql` in a transaction that holds its
    locks for the block, at most HELD seconds, then rolls back."""
    taken, release = threading.Event(), threading.Event()
    failure: list[BaseException] = []

    def hold() -> None:
        connection = connections.create_connection(target(db_id).alias)
        try:
            connection.set_autocommit(False)
            with connection.cursor() as cursor:
                cursor.execute(sql, params)
            taken.set()
            release.wait(HELD)
            connection.rollback()
        except BaseException as error:
            failure.append(error)
            taken.set()
        finally:
            connection.close()

    holder = threading.Thread(target=hold)
    holder.start()
    taken.wait(30)
    assert not failure, failure
    try:
        yield
    finally:
        release.set()
        holder.join()


def table_locked(db_id: str) -> AbstractContextManager[None]:
    """Every statement on db_id's memory table waits (PostgreSQL)."""
    return locked(db_id, f"LOCK TABLE {target(db_id).quoted_table} IN ACCESS EXCLUSIVE MODE")


def row_locked(db_id: str, memory_id: str) -> AbstractContextManager[None]:
    table = target(db_id).quoted_table
    return locked(db_id, f"SELECT 1 FROM {table} WHERE memory_id = %s FOR UPDATE", [memory_id])


@pytest.mark.parametrize("server_db_id", ["pg", "maria"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_delete_waiting_past_the_limit_is_cut_and_deletes_nothing(server_db_id, as_user, caplog):
    require_db_id(server_db_id)
    memory_create(server_db_id, memory_id="locked", user_id="alice")
    client = as_user("alice")

    with limited, row_locked(server_db_id, "locked"):
        started = time.monotonic()
        response = client.delete(f"/memories/locked?db_id={server_db_id}")
        took = time.monotonic() - started

    assert response.status_code == 500
    assert response.json() == {
        "detail": "The database did not answer within 0.5 seconds",
        "error_code": "STATEMENT_TIMEOUT",
    }
    assert LIMIT <= took < HELD / 2
    assert memory_ids_in(server_db_id) == {"locked"}
    assert not MemoryDeletion.objects.exists()
    failures = [r for r in caplog.records if r.name == "memories.api" and r.levelno >= 40]
    assert [r.getMessage().split(":")[0] for r in failures] == [f"database {server_db_id} failed"]


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_slow_sqlite_delete_is_interrupted_and_rolled_back(as_user):
    memory_create("lite", memory_id="slow", user_id="alice")
    connection = connections["lite"]
    with connection.cursor() as cursor:
        # Seconds of work inside the DELETE itself, on this connection only.
        cursor.execute(
            "CREATE TEMP TRIGGER slow_delete BEFORE DELETE ON agno_memories BEGIN"
            " SELECT count(*) FROM (WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL"
            " SELECT x + 1 FROM n WHERE x < 50000000) SELECT x FROM n); END"
        )
    try:
        with limited:
            started = time.monotonic()
            response = as_user("alice").delete("/memories/slow?db_id=lite")
            took = time.monotonic() - started
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER slow_delete")

    assert response.status_code == 500
    assert response.json()["error_code"] == "STATEMENT_TIMEOUT"
    assert LIMIT <= took < 3
    assert memory_ids_in("lite") == {"slow"}
    assert not MemoryDeletion.objects.exists()


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_list_waiting_past_the_limit_on_postgresql_answers_statement_timeout(as_user):
    require_db_id("pg")
    memory_create("pg", memory_id="kept", user_id="alice")
    with limited, table_locked("pg"):
        response = as_user("alice").get("/memories?db_id=pg")

    assert response.status_code == 500
    assert response.json()["error_code"] == "STATEMENT_TIMEOUT"


@pytest.mark.parametrize(
    ("dry_run", "detail"),
    [
        (
            False,
            "Unfinished after deleting 0 memories (pg/agno_memories: no answer within"
            f" {LIMIT:g} seconds)",
        ),
        (
            True,
            f"The database did not answer within {LIMIT:g} seconds (pg/agno_memories): counted 0"
            " memories in the others; nothing was deleted",
        ),
    ],
    ids=["deleting", "dry-run"],
)
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_deletion_by_filter_cut_by_the_limit_answers_statement_timeout(as_user, dry_run, detail):
    # Not "database failed" (503 DATABASE_UNAVAILABLE): the database answered, too slowly.
    require_db_id("pg")
    memory_create("pg", memory_id="kept", user_id="alice", agent_id="chef")
    body = {"agent_id": "chef", "db_id": "pg", "dry_run": dry_run}

    with limited, table_locked("pg"):
        response = as_user("root", admin=True).post("/memory_deletions", body, format="json")

    assert response.status_code == 500
    assert response.json() == {"detail": detail, "error_code": "STATEMENT_TIMEOUT"}
    assert memory_ids_in("pg") == {"kept"}
    assert not MemoryDeletion.objects.exists()


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_host_statements_on_the_same_connection_keep_no_limit(as_user):
    require_db_id("pg")
    memory_create("pg", memory_id="mine", user_id="alice")
    with limited:
        assert as_user("alice").delete("/memories/mine?db_id=pg").status_code == 204
        connection = connections["pg"]
        assert connection.execute_wrappers == []
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("0",)
            started = time.monotonic()
            cursor.execute("SELECT pg_sleep(%s)", [LIMIT * 2])
            assert time.monotonic() - started >= LIMIT * 2


@pytest.mark.parametrize("server_db_id", ["pg", "maria", "lite"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_statements_under_the_limit_read_their_own_results(server_db_id):
    require_db_id(server_db_id)
    memory_create(server_db_id, memory_id="one", user_id="alice")
    memory_create(server_db_id, memory_id="two", user_id="bob")
    model = target(server_db_id).model
    with limited, statement_time_limit():
        rows = model._default_manager.using(server_db_id).order_by("memory_id")
        assert [m.memory_id for m in rows] == ["one", "two"]
        deleted, _ = model._default_manager.using(server_db_id).filter(user_id="bob").delete()
    assert deleted == 1
    assert memory_ids_in(server_db_id) == {"one"}


@pytest.mark.parametrize("server_db_id", ["pg", "maria", "lite"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_new_threads_first_statement_connects_inside_the_limit(server_db_id):
    """A thread of its own (a new connection, whose engine Django asks the server about on
    its first statement) runs its first statements inside the block."""
    require_db_id(server_db_id)
    memory_create(server_db_id, memory_id="one", user_id="alice")
    found: list[object] = []

    def read() -> None:
        try:
            with limited, statement_time_limit():
                rows = target(server_db_id).model._default_manager.using(server_db_id)
                found.append([memory.memory_id for memory in rows])
        except BaseException as error:  # reported below, not lost in the thread
            found.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=read)
    thread.start()
    thread.join()

    assert found == [["one"]]


@pytest.mark.parametrize("server_db_id", ["pg", "maria", "lite"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_limit_longer_than_the_database_takes_is_its_longest(server_db_id, as_user):
    # 400 days: PostgreSQL's statement_timeout takes at most 2**31 - 1 ms (24.8 days), and
    # refused every statement of a longer one; MariaDB truncates its own to a year.
    require_db_id(server_db_id)
    memory_create(server_db_id, memory_id="one", user_id="alice")
    memory_create(server_db_id, memory_id="two", user_id="alice")

    with override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=400 * 86400.0)):
        response = as_user("alice").delete(f"/memories/one?db_id={server_db_id}")

    assert response.status_code == 204, response.content
    assert memory_ids_in(server_db_id) == {"two"}
    assert MemoryDeletion.objects.get().memory_ids == ["one"]


# Its first row at once, then seconds of counting while the others are read.
COUNTING = (
    "WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 50000000)"
    " SELECT x FROM n"
)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_sqlite_statement_cut_while_its_rows_are_read_is_the_limits_timeout(caplog):
    caplog.set_level(logging.CRITICAL)
    connection = connections["lite"]
    with limited, statement_time_limit():
        with connection.cursor() as cursor:
            started = time.monotonic()
            cursor.execute(COUNTING)
            with pytest.raises(DatabaseError) as raised:
                while cursor.fetchmany(10_000):
                    pass
            took = time.monotonic() - started
        cut = raised.value
        # As the fetch raised it: the driver's error, not the one the limit raises around
        # a statement's execution.
        assert not isinstance(cut, StatementTimeoutError) and LIMIT <= took < 3
        timed_out = statement_timeout_of(cut)
        assert isinstance(timed_out, StatementTimeoutError) and timed_out.seconds == LIMIT

        # What the API, the admin and an export make of it: the limit's, not a failure.
        response = api_exception_handler(cut, {})
        assert (response.status_code, response.data["error_code"]) == (500, "STATEMENT_TIMEOUT")
        message = str(unavailable_message(target("lite"), cut))
        assert f"did not answer within {LIMIT:g} seconds" in message
        with pytest.raises(DatabaseError) as other, connection.cursor() as cursor:
            cursor.execute("SELECT * FROM no_such_table_here")
        assert statement_timeout_of(other.value) is None
    # Outside the block (a command), or without a limit, nothing is the limit's.
    with limited:
        assert statement_timeout_of(cut) is None
    with override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=None)), statement_time_limit():
        assert statement_timeout_of(cut) is None


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_limit_set_before_its_statement_fails_as_the_statement_would():
    # A server-side cursor's statement takes its SET LOCAL first, on a cursor of the driver's:
    # in a failed transaction that fails, as Django's error, not psycopg's.
    require_db_id("pg")
    memory_create("pg", memory_id="one", user_id="alice")
    connection = connections["pg"]
    rows = target("pg").model._default_manager.using("pg")

    with limited, statement_time_limit(), transaction.atomic(using="pg"):
        with pytest.raises(DatabaseError), connection.cursor() as cursor:
            cursor.execute("SELECT 1 / 0")
        with pytest.raises(DatabaseError) as raised:
            list(rows.iterator(chunk_size=10))
        transaction.set_rollback(True, using="pg")

    assert sqlstate(raised.value.__cause__) == IN_FAILED_SQL_TRANSACTION
    assert memory_ids_in("pg") == {"one"}


def test_no_limit_when_the_setting_is_none(caplog):
    caplog.set_level(logging.ERROR)
    with override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=None)), statement_time_limit():
        assert all(connections[alias].execute_wrappers == [] for alias in connections)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_export_cut_by_the_limit_ends_with_a_statement_timeout_line(as_user):
    require_db_id("pg")
    # A user of this test's own: the export covers every database, whatever else they hold.
    memory_create("lite", memory_id="exported", user_id="export-cut-user")
    memory_create("pg", memory_id="waiting", user_id="export-cut-user")
    with limited, table_locked("pg"):
        response = as_user("export-cut-user", admin=True).get(
            "/memory_export?all_databases=true&user_id=export-cut-user"
        )
        lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]

    assert response.status_code == 200
    assert [line["memory_id"] for line in lines[:-1]] == ["exported"]
    assert lines[-1] == {
        "detail": "The database did not answer within 0.5 seconds (pg/agno_memories): "
        "this export lacks their memories",
        "error_code": "STATEMENT_TIMEOUT",
        "unreachable": [{"db_id": "pg", "table": "agno_memories"}],
    }
    recorded = MemoryExport.objects.get(db_id="pg", table_name="agno_memories")
    assert (recorded.count, recorded.finished) == (0, False)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_behind_pgbouncer_the_limit_applies_and_leaves_no_server_connection_changed(
    as_user, tmp_path
):
    """Transaction pooling: two clients' transactions, together, get both server connections
    of the pool; each still has the server's default once a request with the limit has run."""
    require_db_id("pg")
    memory_create("pg", memory_id="locked", user_id="alice")
    database = connections["pg"].settings_dict["NAME"]

    with pgbouncer(tmp_path) as pooler, through_pooler("pg", pooler):
        with limited, row_locked("pg", "locked"):
            response = as_user("alice").delete("/memories/locked?db_id=pg")
        with (
            psycopg.connect(f"{pooler}/{database}") as first,
            psycopg.connect(f"{pooler}/{database}") as second,
        ):
            settings = [
                client.execute("SHOW statement_timeout").fetchone() for client in (first, second)
            ]
            pids = {
                client.execute("SELECT pg_backend_pid()").fetchone() for client in (first, second)
            }

    assert response.json()["error_code"] == "STATEMENT_TIMEOUT"
    assert memory_ids_in("pg") == {"locked"}
    assert len(pids) == POOL_SIZE
    assert settings == [("0",), ("0",)]


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_each_block_limits_by_the_setting_of_its_time_on_a_connection_used_before():
    # The limit of a connection is kept between blocks: a changed setting must replace it.
    require_db_id("pg")
    shown = []
    for seconds in (0.5, 2, 0.5):
        with override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=seconds)):
            with statement_time_limit(), connections["pg"].cursor() as cursor:
                cursor.execute("SHOW statement_timeout")
                shown.append(cursor.fetchone()[0])
            assert connections["pg"].execute_wrappers == []
    assert shown == ["500ms", "2s", "500ms"]


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_server_side_cursor_reads_under_the_limit_and_is_cut_past_it():
    """A host's `iterator()` inside an app request (a receiver) declares a server-side
    cursor, whose statement takes one query: the limit goes ahead of it, not into it."""
    require_db_id("pg")
    memory_create("pg", memory_id="one", user_id="alice")
    memory_create("pg", memory_id="two", user_id="bob")
    table = target("pg").quoted_table
    with limited, statement_time_limit():
        with connections["pg"].chunked_cursor() as cursor:
            cursor.execute(f"SELECT memory_id FROM {table} ORDER BY memory_id")
            assert [row[0] for row in cursor.fetchall()] == ["one", "two"]
        with (
            table_locked("pg"),
            pytest.raises(StatementTimeoutError),
            connections["pg"].chunked_cursor() as cursor,
        ):
            cursor.execute(f"SELECT memory_id FROM {table}")
            cursor.fetchall()
        # The connection goes on: the cut statement's transaction is gone.
        model = target("pg").model
        assert model._default_manager.using("pg").count() == 2


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_block_whose_sqlite_connection_closed_meanwhile_ends_cleanly():
    memory_create("lite", memory_id="one", user_id="alice")
    model = target("lite").model
    connection = connections[target("lite").alias]
    with limited, statement_time_limit():
        assert model._default_manager.using("lite").count() == 1
        connection.close()
    assert not any(isinstance(w, SQLiteLimit) for w in connection.execute_wrappers)
    assert model._default_manager.using("lite").count() == 1
