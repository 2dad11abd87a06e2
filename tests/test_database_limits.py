"""A stricter limit the database already sets is kept: a database's default statement_timeout
on PostgreSQL, a session's max_statement_time on MariaDB. The app applies the shorter of its
STATEMENT_TIMEOUT and the connection's own, read the first time it uses the connection (the
reads are counted by a wrapper that calls the real one)."""

import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from typing import Any
from unittest import mock

import psycopg
import pytest
from django.db import DatabaseError, connections, transaction
from django.test import override_settings

from memories.models import MemoryDeletion
from memories.statement_limits import MariaDBLimit, PostgreSQLLimit, statement_time_limit
from tests.conftest import memories_with, require_db_id
from tests.factories import memory_create, memory_ids_in
from tests.poolers import pgbouncer, through_pooler
from tests.test_statement_limits import HELD, row_locked

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

# The app's own limit, looser than the database's below.
LOOSE = 5.0
STRICT = 0.3


@contextmanager
def postgresql_database_default(value: str) -> Iterator[None]:
    """The pg alias's database sets statement_timeout for every new connection to it (as a
    DBA's `ALTER DATABASE`/`ALTER ROLE ... SET` does); the app's connection is a new one."""
    connection = connections["pg"]
    name = connection.settings_dict["NAME"]
    with connection.cursor() as cursor:
        cursor.execute(f'ALTER DATABASE "{name}" SET statement_timeout = %s', [value])
    connection.close()
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute(f'ALTER DATABASE "{name}" RESET statement_timeout')
        connection.close()


@contextmanager
def mariadb_session_limit(seconds: float) -> Iterator[None]:
    """The maria alias's connection is a new one whose session sets max_statement_time (as
    a host's connection_created receiver or a server default would)."""
    connection = connections["maria"]
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SET SESSION max_statement_time = %s", [seconds])
    try:
        yield
    finally:
        connection.close()


DATABASE_LIMITS: dict[str, Callable[[Any], AbstractContextManager[None]]] = {
    "pg": postgresql_database_default,
    "maria": mariadb_session_limit,
}
STRICT_VALUES = {"pg": f"{round(STRICT * 1000)}ms", "maria": STRICT}


def timed_delete(client, db_id: str, memory_id: str, setting: float = LOOSE):
    with (
        override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=setting)),
        row_locked(db_id, memory_id),
    ):
        started = time.monotonic()
        response = client.delete(f"/memories/{memory_id}?db_id={db_id}")
        return response, time.monotonic() - started


@pytest.mark.parametrize("server_db_id", ["pg", "maria"])
def test_a_stricter_database_limit_cuts_first_and_is_the_one_reported(server_db_id, as_user):
    require_db_id(server_db_id)
    memory_create(server_db_id, memory_id="locked", user_id="alice")
    memory_create(server_db_id, memory_id="free", user_id="alice")
    client = as_user("alice")

    with DATABASE_LIMITS[server_db_id](STRICT_VALUES[server_db_id]):
        response, took = timed_delete(client, server_db_id, "locked")
        # The connection goes on serving.
        assert client.delete(f"/memories/free?db_id={server_db_id}").status_code == 204

    assert response.status_code == 500
    assert response.json() == {
        "detail": "The database did not answer within 0.3 seconds",
        "error_code": "STATEMENT_TIMEOUT",
    }
    assert STRICT <= took < LOOSE
    assert memory_ids_in(server_db_id) == {"locked"}
    assert list(MemoryDeletion.objects.values_list("memory_ids", flat=True)) == [["free"]]


def test_a_looser_database_limit_is_tightened_to_the_setting(as_user):
    require_db_id("pg")
    memory_create("pg", memory_id="locked", user_id="alice")

    with postgresql_database_default("1h"):
        response, took = timed_delete(as_user("alice"), "pg", "locked", setting=0.5)
        with connections["pg"].cursor() as cursor:
            # The host's statements on the connection keep the database's own limit.
            cursor.execute("SHOW statement_timeout")
            host_limit = cursor.fetchone()[0]

    assert response.json() == {
        "detail": "The database did not answer within 0.5 seconds",
        "error_code": "STATEMENT_TIMEOUT",
    }
    assert 0.5 <= took < HELD / 2
    assert host_limit == "1h"
    assert memory_ids_in("pg") == {"locked"}
    assert not MemoryDeletion.objects.exists()


def test_a_stricter_database_limit_stays_the_hosts_own(as_user):
    """The app's statement sets its limit for its own transaction only: afterwards the
    connection has the database's limit, as before the request."""
    require_db_id("pg")
    memory_create("pg", memory_id="mine", user_id="alice")
    with postgresql_database_default("300ms"):
        with override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=LOOSE)):
            assert as_user("alice").delete("/memories/mine?db_id=pg").status_code == 204
        with connections["pg"].cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            assert cursor.fetchone() == ("300ms",)
    assert memory_ids_in("pg") == set()


def test_a_connection_whose_transaction_failed_reads_its_limit_once_it_is_over():
    """The first statement of the app on a new connection, inside a transaction a host's
    statement already failed, fails as it would without the limit (the limit cannot be read
    there); the connection's limit is read by its next statement."""
    require_db_id("pg")
    connection = connections["pg"]
    with (
        postgresql_database_default("300ms"),
        override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=LOOSE)),
        statement_time_limit(),
    ):
        with pytest.raises(DatabaseError), transaction.atomic(using="pg"):
            # The host's statement, past the limit's wrapper.
            with (
                connection.connection.cursor() as raw,
                pytest.raises(connection.Database.errors.DivisionByZero),  # type: ignore[attr-defined]
            ):
                raw.execute("SELECT 1 / 0")
            with connection.cursor() as cursor:
                cursor.execute("SHOW statement_timeout")
        with connection.cursor() as cursor:
            cursor.execute("SHOW statement_timeout")
            shown = cursor.fetchone()[0]
    assert shown == "300ms"


def test_a_sessions_own_set_is_no_limit_of_the_connection():
    """PostgreSQL: the limit read is the one a session starts with. A session's SET (behind a
    pooler in transaction mode, possibly another client's) neither loosens nor tightens it."""
    require_db_id("pg")
    connection = connections["pg"]
    connection.close()
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 100")
    try:
        with (
            override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=LOOSE)),
            statement_time_limit(),
            connection.cursor() as cursor,
        ):
            cursor.execute("SHOW statement_timeout")
            shown = cursor.fetchone()[0]
    finally:
        connection.close()
    assert shown == "5s"


@pytest.mark.parametrize("server_db_id", ["pg", "maria"])
def test_the_connections_own_limit_is_read_once_per_connection(server_db_id, as_user):
    require_db_id(server_db_id)
    for n in range(3):
        memory_create(server_db_id, memory_id=f"m{n}", user_id="alice")
    limit_class: type[PostgreSQLLimit | MariaDBLimit] = {
        "pg": PostgreSQLLimit,
        "maria": MariaDBLimit,
    }[server_db_id]
    reads: list[Any] = []
    read = limit_class._read_limit

    name = connections[server_db_id].settings_dict["NAME"]

    def counted(raw):
        # The alias's own connection (the audit database may be on the same server).
        if server_db_id != "pg" or raw.info.dbname == name:
            reads.append(raw)
        return read(raw)

    client = as_user("alice")
    connections[server_db_id].close()
    with (
        override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=LOOSE)),
        mock.patch.object(limit_class, "_read_limit", staticmethod(counted)),
    ):
        assert client.delete(f"/memories/m0?db_id={server_db_id}").status_code == 204
        assert client.delete(f"/memories/m1?db_id={server_db_id}").status_code == 204
        assert len(reads) == 1
        connections[server_db_id].close()  # a new connection: its limit is read again
        assert client.delete(f"/memories/m2?db_id={server_db_id}").status_code == 204
    assert len(reads) == 2
    assert reads[0] is not reads[1]
    assert memory_ids_in(server_db_id) == set()


def test_behind_pgbouncer_the_databases_stricter_limit_is_kept(as_user, tmp_path):
    """Transaction pooling: the limit is read through the pooler, from whichever server
    connection it lends, and is the database's default, not the session SET another client
    left on one of the pool's server connections."""
    require_db_id("pg")
    memory_create("pg", memory_id="locked", user_id="alice")
    database = connections["pg"].settings_dict["NAME"]

    with (
        postgresql_database_default("300ms"),
        pgbouncer(tmp_path) as pooler,
        through_pooler("pg", pooler),
    ):
        with psycopg.connect(f"{pooler}/{database}", autocommit=True) as other_client:
            other_client.execute("SET statement_timeout = 100")  # stays on a server connection
        response, took = timed_delete(as_user("alice"), "pg", "locked")

    assert response.json() == {
        "detail": "The database did not answer within 0.3 seconds",
        "error_code": "STATEMENT_TIMEOUT",
    }
    assert STRICT <= took < LOOSE
    assert memory_ids_in("pg") == {"locked"}
    assert not MemoryDeletion.objects.exists()
