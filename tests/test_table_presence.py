"""memories/table_presence.py: one table looked up by name answers exactly what Django's
introspection, which lists every table, answers, on each engine, for every kind of relation
and every name that a loose comparison would confuse."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from memories.table_presence import table_exists

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

LONG_NAME = "presence_" + "long" * 16

# Made on every engine: a table, a view of it and a temporary table.
COMMON = [
    "CREATE TABLE presence_table (id INTEGER PRIMARY KEY)",
    "CREATE VIEW presence_view AS SELECT id FROM presence_table",
    "CREATE TEMPORARY TABLE presence_temp (id INTEGER)",
]
# What each engine adds to them: the relations only it has.
OWN = {
    "postgresql": [
        'CREATE TABLE "Presence_Mixed" (id INTEGER)',
        "CREATE MATERIALIZED VIEW presence_materialized AS SELECT id FROM presence_table",
        "CREATE TABLE presence_parted (id INTEGER, day DATE) PARTITION BY RANGE (day)",
        "CREATE TABLE presence_part PARTITION OF presence_parted"
        " FOR VALUES FROM ('2026-01-01') TO ('2027-01-01')",
        "CREATE SEQUENCE presence_sequence",
        # PostgreSQL keeps 63 characters of a name: a longer one is cut to this table's.
        f"CREATE TABLE {LONG_NAME[:63]} (id INTEGER)",
        # Outside the search path: a table the connection does not see unqualified.
        "CREATE SCHEMA presence_elsewhere",
        "CREATE TABLE presence_elsewhere.presence_hidden (id INTEGER)",
    ],
    "mysql": [
        "CREATE TABLE Presence_Mixed (id INTEGER)",
        # Another database of the same server (named after the test database: the suite's
        # passes share the server).
        "CREATE DATABASE presence_elsewhere",
        "CREATE TABLE presence_elsewhere.presence_hidden (id INTEGER)",
    ],
    "sqlite": ['CREATE TABLE "Presence_Mixed" (id INTEGER)'],
}
# MariaDB's own kinds of relation, which MySQL has not.
MARIADB = [
    "CREATE SEQUENCE presence_sequence",
    "CREATE TABLE presence_versioned (id INTEGER) WITH SYSTEM VERSIONING",
]
# A foreign table, where the server has postgres_fdw (PostgreSQL's contrib).
FOREIGN = [
    "CREATE EXTENSION IF NOT EXISTS postgres_fdw",
    "CREATE SERVER presence_server FOREIGN DATA WRAPPER postgres_fdw",
    "CREATE FOREIGN TABLE presence_foreign (id INTEGER) SERVER presence_server",
]
DROPS = {
    "postgresql": [
        "DROP SCHEMA IF EXISTS presence_elsewhere CASCADE",
        "DROP SERVER IF EXISTS presence_server CASCADE",
        'DROP TABLE IF EXISTS presence_parted, "Presence_Mixed", presence_temp CASCADE',
        f"DROP TABLE IF EXISTS {LONG_NAME[:63]}",
        "DROP SEQUENCE IF EXISTS presence_sequence",
        "DROP MATERIALIZED VIEW IF EXISTS presence_materialized",
        "DROP VIEW IF EXISTS presence_view",
        "DROP TABLE IF EXISTS presence_table",
    ],
    "mysql": [
        "DROP DATABASE IF EXISTS presence_elsewhere",
        "DROP SEQUENCE IF EXISTS presence_sequence",
        "DROP TEMPORARY TABLE IF EXISTS presence_temp",
        "DROP VIEW IF EXISTS presence_view",
        "DROP TABLE IF EXISTS presence_table, Presence_Mixed, presence_versioned",
    ],
    "sqlite": [
        "DROP TABLE IF EXISTS presence_temp",
        "DROP VIEW IF EXISTS presence_view",
        'DROP TABLE IF EXISTS presence_table, "Presence_Mixed"',
    ],
}
# Every name looked up: what was made, the same names in another case, names that LIKE's
# wildcards would match, a table every migrated database holds, and names of nothing.
NAMES = [
    "presence_table",
    "PRESENCE_TABLE",
    "Presence_Table",
    "presence_view",
    "presence_temp",
    "Presence_Mixed",
    "presence_mixed",
    "presence_materialized",
    "presence_parted",
    "presence_part",
    "presence_hidden",
    "presence_elsewhere.presence_hidden",
    "presence_sequence",
    "presence_versioned",
    "presence_foreign",
    LONG_NAME,
    LONG_NAME[:63],
    "presence_tabl_",
    "presence%",
    "presence_table ",
    "agno_memories",
    "memories_memorydeletion",
    "sqlite_sequence",
    "sqlite_master",
    "pg_class",
    "tables",
    "missing_memories",
    "",
]


@pytest.fixture
def relations(db_id: str) -> Iterator[str]:
    """Every relation of COMMON and OWN made on db_id's database (each dropped after), with
    MariaDB's own and a foreign table where the server has them."""
    connection = connections[db_id]
    vendor = connection.vendor
    statements = [*COMMON, *OWN[vendor]]
    if vendor == "mysql" and connection.mysql_is_mariadb:  # type: ignore[attr-defined]
        statements += MARIADB
    drops = DROPS[vendor]
    if vendor == "mysql":
        elsewhere = f"{connection.settings_dict['NAME']}_elsewhere"
        statements = [one.replace("presence_elsewhere", elsewhere) for one in statements]
        drops = [drop.replace("presence_elsewhere", elsewhere) for drop in drops]
    with connection.cursor() as cursor:
        if vendor != "sqlite":
            for drop in drops:
                cursor.execute(drop)
        for statement in statements:
            cursor.execute(statement)
        if vendor == "postgresql" and has_postgres_fdw(cursor):
            for statement in FOREIGN:
                cursor.execute(statement)
    try:
        yield db_id
    finally:
        with connection.cursor() as cursor:
            for drop in drops:
                for one in _one_table_each(drop, vendor):
                    cursor.execute(one)


def foreign_made(alias: str) -> bool:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT 1 FROM pg_class WHERE relname = 'presence_foreign'")
        return cursor.fetchone() is not None


def has_postgres_fdw(cursor: Any) -> bool:
    cursor.execute("SELECT 1 FROM pg_available_extensions WHERE name = 'postgres_fdw'")
    return cursor.fetchone() is not None


def _one_table_each(drop: str, vendor: str) -> list[str]:
    """SQLite drops one table per statement."""
    if vendor != "sqlite" or "," not in drop:
        return [drop]
    head, _, names = drop.rpartition("EXISTS ")
    return [f"{head}EXISTS {name.strip()}" for name in names.split(",")]


def answers(alias: str) -> dict[str, bool]:
    connection = connections[alias]
    with connection.cursor() as cursor:
        return {name: table_exists(connection, cursor, name) for name in NAMES}


def introspected(alias: str) -> dict[str, bool]:
    tables = connections[alias].introspection.table_names()
    return {name: name in tables for name in NAMES}


def test_each_name_is_a_table_exactly_when_introspection_lists_it(relations):
    found = answers(relations)

    assert found == introspected(relations)
    made = {"presence_table", "Presence_Mixed"}
    if connections[relations].vendor == "postgresql":
        # The partitioned table, not its partition; a temporary table is in the search path;
        # the long name's table, by the name PostgreSQL kept; a foreign table.
        made |= {"presence_parted", "presence_temp", LONG_NAME[:63]}
        if foreign_made(relations):
            made.add("presence_foreign")
    presences = {name for name, exists in found.items() if exists and "presence" in name.lower()}
    assert presences == made
    assert found["agno_memories"]


def test_a_table_dropped_is_gone_and_one_made_is_there(db_id):
    connection = connections[db_id]
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE presence_fresh (id INTEGER PRIMARY KEY)")
        made = table_exists(connection, cursor, "presence_fresh")
        cursor.execute("DROP TABLE presence_fresh")
        dropped = table_exists(connection, cursor, "presence_fresh")

    assert (made, dropped) == (True, False)


def test_an_engine_it_does_not_know_is_asked_djangos_way(monkeypatch):
    connection = connections["lite"]  # SQLite in every test configuration
    monkeypatch.setattr(connection, "vendor", "another")
    with CaptureQueriesContext(connection) as queries, connection.cursor() as cursor:
        exists = table_exists(connection, cursor, "agno_memories")
        missing = table_exists(connection, cursor, "presence_table")

    assert (exists, missing) == (True, False)
    # Django's list of every table, once per lookup.
    assert [query["sql"].endswith("ORDER BY name") for query in queries] == [True, True]
