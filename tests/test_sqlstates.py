"""The SQLSTATE of PostgreSQL's errors, read from both drivers a host may use (psycopg 3 names
it `sqlstate`, psycopg2 `pgcode`), each error caused for real on the test server: a statement
cut by its timeout, one inside a failed transaction, a serialization failure and a deadlock.
The two transient ones are worth a batch's retry whichever driver raised them."""

import threading
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import Any

import psycopg
import psycopg2
import pytest
from django.db import DatabaseError

from memories.sqlstates import (
    DEADLOCK_DETECTED,
    IN_FAILED_SQL_TRANSACTION,
    QUERY_CANCELED,
    SERIALIZATION_FAILURE,
    sqlstate,
)
from memories.statements.postgresql import PostgreSQLStatements
from tests.conftest import require_db_id
from tests.databases import PG_SERVER, scratch_postgres_database

DRIVERS = {"psycopg": psycopg, "psycopg2": psycopg2}


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    require_db_id("pg")
    with scratch_postgres_database("agentos_memories_sqlstates") as name:
        with psycopg.connect(f"{PG_SERVER}/{name}", autocommit=True) as connection:
            connection.execute("CREATE TABLE rows (id int PRIMARY KEY, value int)")
        yield name


@pytest.fixture(params=sorted(DRIVERS))
def connect(request: pytest.FixtureRequest, database: str) -> Iterator[Callable[[], Any]]:
    """Opens connections to the scratch database with one driver (each in a transaction until
    committed, as both drivers start them), its rows reset, closing them afterwards."""
    driver: ModuleType = DRIVERS[request.param]
    opened: list[Any] = []

    def open_one() -> Any:
        connection = driver.connect(f"{PG_SERVER}/{database}")
        opened.append(connection)
        return connection

    setup = open_one()
    with setup.cursor() as cursor:
        cursor.execute("DELETE FROM rows")
        cursor.execute("INSERT INTO rows VALUES (1, 0), (2, 0)")
    setup.commit()
    yield open_one
    for connection in opened:
        connection.close()


def raised(connection: Any, *statements: str) -> BaseException:
    """The error the statements raise, run one after the other on one cursor."""
    with pytest.raises((psycopg.Error, psycopg2.Error)) as caught, connection.cursor() as cursor:
        for statement in statements:
            cursor.execute(statement)
    return caught.value


def as_django_raises(error: BaseException) -> DatabaseError:
    """The error as Django's database wrapper raises a driver's: its own class, the driver's
    error as the cause (`raise ... from`)."""
    try:
        raise DatabaseError(*getattr(error, "args", ())) from error
    except DatabaseError as wrapped:
        return wrapped


def test_a_statement_cut_by_its_timeout(connect: Callable[[], Any]) -> None:
    error = raised(connect(), "SET statement_timeout = 50", "SELECT pg_sleep(2)")
    assert sqlstate(error) == QUERY_CANCELED
    assert not PostgreSQLStatements("default").is_transient(as_django_raises(error))


def test_a_statement_in_a_failed_transaction(connect: Callable[[], Any]) -> None:
    connection = connect()
    raised(connection, "SELECT 1 / 0")
    error = raised(connection, "SELECT 1")
    assert sqlstate(error) == IN_FAILED_SQL_TRANSACTION


def test_a_serialization_failure_is_transient(connect: Callable[[], Any]) -> None:
    reader, writer = connect(), connect()
    with reader.cursor() as cursor:
        cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        cursor.execute("SELECT value FROM rows WHERE id = 1")
    with writer.cursor() as cursor:
        cursor.execute("UPDATE rows SET value = 1 WHERE id = 1")
    writer.commit()
    # The reader's snapshot predates the writer's committed change to the row it updates.
    error = raised(reader, "UPDATE rows SET value = 2 WHERE id = 1")
    assert sqlstate(error) == SERIALIZATION_FAILURE
    assert PostgreSQLStatements("default").is_transient(as_django_raises(error))
    reader.rollback()
    assert rows_values(connect()) == {1: 1, 2: 0}


def test_a_deadlock_is_transient(connect: Callable[[], Any]) -> None:
    first, second = connect(), connect()
    for connection, row in ((first, 1), (second, 2)):
        with connection.cursor() as cursor:
            cursor.execute("SET deadlock_timeout = '100ms'")
            cursor.execute("UPDATE rows SET value = value + 1 WHERE id = %s", [row])
    errors: list[BaseException] = []

    def update(connection: Any, row: int) -> None:
        try:
            with connection.cursor() as cursor:
                cursor.execute("UPDATE rows SET value = value + 1 WHERE id = %s", [row])
            connection.commit()
        except Exception as error:
            errors.append(error)
            connection.rollback()

    # Each waits for the row the other holds: the server ends one of the two transactions.
    crossing = [
        threading.Thread(target=update, args=(first, 2)),
        threading.Thread(target=update, args=(second, 1)),
    ]
    for thread in crossing:
        thread.start()
    for thread in crossing:
        thread.join(timeout=30)
    assert len(errors) == 1
    assert sqlstate(errors[0]) == DEADLOCK_DETECTED
    assert PostgreSQLStatements("default").is_transient(as_django_raises(errors[0]))
    # The survivor's two updates landed; the victim's were rolled back.
    assert rows_values(connect()) == {1: 1, 2: 1}


def test_an_error_without_a_state() -> None:
    assert sqlstate(ValueError("not a database's")) is None
    assert sqlstate(None) is None


def rows_values(connection: Any) -> dict[int, int]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT id, value FROM rows")
        return dict(cursor.fetchall())
