"""The app's database tests, run again with Django's PostgreSQL engine on psycopg2, the driver
of many hosts that have not moved to psycopg 3 (Django takes psycopg 3 whenever it is
installed, as it is here: tests/settings.py binds the engine to psycopg2 when
AGENTOS_TEST_PG_DRIVER says so). The drivers differ where a database fails: psycopg2 raises
InterfaceError, no DatabaseError, for a statement on a connection the server ended, and
refuses a NUL in a text parameter with ValueError. A process of its own, since the engine
takes its driver once, when it is first imported; PostgreSQL as the default database too."""

import os

import pytest

from tests.conftest import require_db_id
from tests.e2e.reruns import assert_passed_again

# The tests of what meets a failing or racing database: connections the server ended,
# databases down, statement limits, transactions, concurrent deletes, the engines' own
# statements and table lookups, the services, the commands, the admin and the API's errors.
DATABASE_TESTS = [
    "tests/test_ended_connections.py",
    "tests/test_database_failure.py",
    "tests/test_bulk_views_unreachable.py",
    "tests/test_exception_handlers.py",
    "tests/services",
    "tests/management",
    "tests/test_statement_limits.py",
    "tests/test_database_limits.py",
    "tests/test_transactions.py",
    "tests/test_atomic_requests.py",
    "tests/test_concurrent_deletes.py",
    "tests/statements",
    "tests/test_table_presence.py",
    "tests/test_targets.py",
    "tests/test_sqlstates.py",
    "tests/test_validators.py",
    "tests/test_views/test_delete.py",
    "tests/admin/test_admin.py",
    "tests/admin/test_targets.py",
    "tests/admin/test_operations.py",
    "tests/admin/test_time_limits.py",
    "tests/admin/test_filters.py",
]


@pytest.mark.skipif(
    os.environ.get("AGENTOS_TEST_DEFAULT_DB") != "postgres",
    reason="run once, by make test's pass with PostgreSQL as the default database",
)
def test_the_database_tests_pass_on_psycopg2():
    require_db_id("pg")  # else each of its tests would skip, and the run pass
    assert_passed_again(
        DATABASE_TESTS,
        suffix="_psycopg2",
        # Those only of MariaDB or SQLite (`maria`, `lite`) meet no PostgreSQL driver.
        options=["-k", "not maria and not lite"],
        env={"AGENTOS_TEST_PG_DRIVER": "psycopg2", "AGENTOS_TEST_DEFAULT_DB": "postgres"},
    )
