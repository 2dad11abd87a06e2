"""The app's optional PostgreSQL engine (`memories.db.postgresql`) against Django's stock one,
which the rest of the suite runs on: its health check costs no round trip while the connection
is healthy, and still replaces a connection the server closed, as the stock check does."""

from collections.abc import Iterator

import psycopg
import pytest
from django.db import connections
from django.db.backends.postgresql import base as stock
from django.db.backends.postgresql.psycopg_any import is_psycopg3

from memories.db.postgresql.base import DatabaseWrapper
from tests.conftest import require_db_id

# Real transactions: a terminated backend must not sit under a test transaction.
pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "pg"])

if not is_psycopg3:
    pytest.skip("the app's engine needs psycopg 3", allow_module_level=True)


def persistent_connection(engine: type[stock.DatabaseWrapper]) -> stock.DatabaseWrapper:
    """A persistent, health-checked connection to the test database, as a server keeps one."""
    require_db_id("pg")
    settings = {**connections["pg"].settings_dict, "CONN_MAX_AGE": None}
    settings["CONN_HEALTH_CHECKS"] = True
    return engine(settings, alias="pg_persistent")


@pytest.fixture
def persistent() -> Iterator[stock.DatabaseWrapper]:
    """The app's engine."""
    wrapper = persistent_connection(DatabaseWrapper)
    yield wrapper
    wrapper.close()


@pytest.fixture(params=[DatabaseWrapper, stock.DatabaseWrapper], ids=["app", "stock"])
def either(request: pytest.FixtureRequest) -> Iterator[stock.DatabaseWrapper]:
    """The app's engine, then Django's stock one."""
    wrapper = persistent_connection(request.param)
    yield wrapper
    wrapper.close()


def test_the_suite_runs_on_the_stock_engine():
    require_db_id("pg")
    assert type(connections["pg"]) is stock.DatabaseWrapper


def observer(wrapper: stock.DatabaseWrapper) -> psycopg.Connection:
    """A second connection that sees the first from the server's side."""
    params = wrapper.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)


def backend_pid(wrapper: stock.DatabaseWrapper) -> int:
    with wrapper.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return int(cursor.fetchone()[0])


def last_statement(server: psycopg.Connection, pid: int) -> str:
    row = server.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    assert row is not None, f"backend {pid} is gone"
    return str(row[0])


def new_request(wrapper: stock.DatabaseWrapper) -> None:
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


def test_stock_engine_checks_a_healthy_idle_connection_with_a_round_trip():
    # What the app's engine saves: Django's check sends SELECT 1 before each request's query.
    wrapper = persistent_connection(stock.DatabaseWrapper)
    try:
        pid = backend_pid(wrapper)
        with observer(wrapper) as server:
            new_request(wrapper)

            assert wrapper.health_check_done  # type: ignore[attr-defined]  # missing from the stubs
            assert last_statement(server, pid) == "SELECT 1"
        assert backend_pid(wrapper) == pid
    finally:
        wrapper.close()


def test_connection_the_server_terminated_is_replaced_before_use(either):
    pid = backend_pid(either)
    with observer(either) as server:
        # Waits (up to 5 s) until the backend has exited and closed its socket.
        assert server.execute("SELECT pg_terminate_backend(%s, 5000)", [pid]).fetchone() == (True,)
    new_request(either)

    assert either.connection is None
    assert backend_pid(either) != pid


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
