"""How many rows a query finds, without counting every row of a large table: a count that
stops past a bound, PostgreSQL's planner estimate, and its statistics' count of a table."""

import json
from typing import Any

from django.db import connections
from django.db.models import QuerySet


def count_up_to(rows: QuerySet[Any], bound: int) -> int:
    """How many rows the query finds, counting no further than bound + 1: exact when at most
    bound, and never a read of more than bound + 1 rows."""
    return rows.order_by()[: bound + 1].count()


def planner_estimate(rows: QuerySet[Any]) -> int | None:
    """PostgreSQL's estimate of how many rows the query finds, from its plan (EXPLAIN reads
    no row: the table's statistics, as ANALYZE and autovacuum keep them); None on engines
    whose plans give no such number."""
    # Note: one engine test rather than a per-engine expression; MySQL's EXPLAIN counts rows
    # examined, not found, and SQLite's names no count at all.
    if connections[rows.db].vendor != "postgresql":
        return None
    plan = json.loads(rows.order_by().explain(format="json"))
    return int(plan[0]["Plan"]["Plan Rows"])


def table_rows_estimate(rows: QuerySet[Any]) -> int | None:
    """How many rows the query's table holds by PostgreSQL's statistics (pg_class.reltuples,
    as ANALYZE and autovacuum keep it: one catalog row read); None on other engines, and for
    a table never analyzed (-1 since PostgreSQL 14; 0 before, read as none either way)."""
    connection = connections[rows.db]
    if connection.vendor != "postgresql":
        return None
    # db_table is already quoted for a "schema"."table"; quote_name leaves it so.
    table = connection.ops.quote_name(rows.model._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE oid = to_regclass(%s)", [table])
        found = cursor.fetchone()
    if found is None or found[0] is None or found[0] <= 0:
        return None
    return int(found[0])
