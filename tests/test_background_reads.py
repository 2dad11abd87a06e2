"""Reads in the background without PostgreSQL's parallel workers: the setting holds within the
block, its plans gather no workers where the plain way's do, and the connection has the
server's setting again once the block's transaction ends; other engines run as they are."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import DataError, connections

from memories.background_reads import without_parallel_workers
from tests.conftest import require_db_id
from tests.factories import memory_create, target

pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)


def show(alias: str, setting: str) -> str:
    with connections[alias].cursor() as cursor:
        cursor.execute(f"SHOW {setting}")
        return str(cursor.fetchone()[0])


def plan(alias: str) -> str:
    with connections[alias].cursor() as cursor:
        cursor.execute("EXPLAIN SELECT DISTINCT agent_id FROM agno_memories")
        return "\n".join(row[0] for row in cursor.fetchall())


@contextmanager
def parallel_wherever_allowed(alias: str) -> Iterator[None]:
    """Every plan that may run in parallel gets a Gather, whatever it costs: PostgreSQL 16's
    debug_parallel_query, force_parallel_mode before it. (With parallelism merely costing
    nothing, the planner could still choose the serial scan, by the table's statistics.)"""
    with connections[alias].cursor() as cursor:
        cursor.execute(
            "SELECT name FROM pg_settings"
            " WHERE name IN ('debug_parallel_query', 'force_parallel_mode')"
        )
        setting = cursor.fetchone()[0]
        cursor.execute(f"SET {setting} = on")
    try:
        yield
    finally:
        with connections[alias].cursor() as cursor:
            cursor.execute(f"RESET {setting}")


def test_postgresql_reads_within_the_block_without_parallel_workers_and_after_it_with_them():
    require_db_id("pg")
    alias = target("pg").alias
    memory_create("pg", agent_id="chef")

    with parallel_wherever_allowed(alias):
        plain = (show(alias, "max_parallel_workers_per_gather"), plan(alias))
        with without_parallel_workers(alias):
            within = (show(alias, "max_parallel_workers_per_gather"), plan(alias))
            in_transaction = connections[alias].in_atomic_block
        after = (show(alias, "max_parallel_workers_per_gather"), plan(alias))

    assert plain[0] == "2" and "Gather" in plain[1]  # the server's default
    assert within[0] == "0" and "Gather" not in within[1] and in_transaction
    assert after == plain


def test_a_read_that_fails_ends_the_blocks_transaction_and_its_setting():
    require_db_id("pg")
    alias = target("pg").alias

    with (
        pytest.raises(DataError, match="division by zero"),
        without_parallel_workers(alias),
        connections[alias].cursor() as cursor,
    ):
        cursor.execute("SELECT 1 / 0")

    assert not connections[alias].in_atomic_block
    assert show(alias, "max_parallel_workers_per_gather") == "2"


@pytest.mark.parametrize("db_id", ["default", "lite", "maria"])
def test_other_engines_read_as_they_are(db_id):
    """No parallel query to turn off: no transaction opened, no statement sent."""
    require_db_id(db_id)
    alias = target(db_id).alias
    if db_id == "default" and connections[alias].vendor == "postgresql":
        pytest.skip("the default database is PostgreSQL in this pass (the tests above)")
    sent: list[str] = []

    def recorded(execute, sql, params, many, context):
        sent.append(sql)
        return execute(sql, params, many, context)

    with connections[alias].execute_wrapper(recorded), without_parallel_workers(alias):
        in_transaction = connections[alias].in_atomic_block

    assert not in_transaction and sent == []
