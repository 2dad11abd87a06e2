"""The PostgreSQL engine's health check: no round trip while healthy, a reconnect when not."""

from collections.abc import Iterator

import psycopg
import pytest
from django.db import connections

from memories.db.postgresql.base import DatabaseWrapper
from tests.conftest import require_db_id

# Real transactions: a terminated backend must not sit under a test transaction.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "pg"])


@pytest.fixture
def persistent() -> Iterator[DatabaseWrapper]:
    """A persistent, health-checked connection to the test database, as a server keeps one."""
    require_db_id("pg")
    settings = {**connections["pg"].settings_dict, "CONN_MAX_AGE": None}
    settings["CONN_HEALTH_CHECKS"] = True
    wrapper = DatabaseWrapper(settings, alias="pg_persistent")
    yield wrapper
    wrapper.close()


def observer(wrapper: DatabaseWrapper) -> psycopg.Connection:
    """A second connection that sees the first from the server's side."""
    params = wrapper.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def backend_pid(wrapper: DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def last_statement(server: psycopg.Connection, pid: int) -> str:
    row = server.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None, f"backend {pid} is gone"
    return str(row[0])


def new_request(wrapper: DatabaseWrapper) -> None:
    """What Django does for each request (request_started): health check due again."""
    wrapper.close_if_unusable_or_obsolete()
    wrapper.close_if_health_check_failed()


def test_healthy_idle_connection_is_kept_without_a_statement(persistent):
    pid = backend_pid(persistent)
    with observer(persistent) as server:
        new_request(persistent)

        assert persistent.health_check_done
        assert last_statement(server, pid) == "SELECT pg_backend_pid()"
    assert backend_pid(persistent) == pid


def test_connection_the_server_terminated_is_replaced_before_use(persistent):
    pid = backend_pid(persistent)
    with observer(persistent) as server:
        # Waits (up to 5 s) until the backend has exited and closed its socket.
        assert server.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone() == (True,)
    new_request(persistent)

    assert persistent.connection is None
    assert backend_pid(persistent) != pid


def test_connection_inside_a_transaction_gets_the_round_trip_check(persistent):
    pid = backend_pid(persistent)
    persistent.set_autocommit(False)
    with persistent.cursor() as cursor:
        cursor.execute("SELECT 'in a transaction'")
    with observer(persistent) as server:
        persistent.health_check_done = False
        persistent.close_if_health_check_failed()

        assert last_statement(server, pid) == "SELECT 1"
    persistent.rollback()
    persistent.set_autocommit(True)
