"""The DELETE statements behind every deletion: one statement decides what is gone."""

import datetime
import json
from collections.abc import Sequence
from dataclasses import dataclass

from django.db import DEFAULT_DB_ALIAS, connections

from memories.conf import memories_settings
from memories.models import MemoryDeletion
from memories.targets import MemoryTarget

# (memory_id, owner user_id) of one deleted row.
DeletedRow = tuple[str, str | None]
# A query parameter.
Param = str | int | datetime.datetime


@dataclass(frozen=True)
class Selection:
    """The rows one statement deletes: these ids, or else the next `limit` memories of
    user_id; in both cases only rows that user_id owns, when it is given."""

    user_id: str | None
    memory_ids: Sequence[str] = ()
    limit: int | None = None


@dataclass(frozen=True)
class AuditEntry:
    """The audit record of a deletion, apart from the deleted rows themselves."""

    deleted_at: datetime.datetime
    actor: str
    channel: str
    db_id: str
    table: str


def records_in_statement(target: MemoryTarget) -> bool:
    """Whether the deleting statement can write its audit record itself.

    PostgreSQL runs an INSERT fed by a DELETE's RETURNING in one statement, atomic on its
    own: one round trip, no transaction to open and commit around it.
    """
    return (
        bool(memories_settings.AUDIT)
        and target.alias == DEFAULT_DB_ALIAS
        and connections[target.alias].vendor == "postgresql"
    )


def _supports_delete_returning(alias: str) -> bool:
    connection = connections[alias]
    if connection.vendor == "mysql":
        return bool(connection.mysql_is_mariadb)  # type: ignore[attr-defined]
    return connection.vendor in ("postgresql", "sqlite")


def _matching(alias: str, column: str, values: Sequence[str]) -> tuple[str, list[str]]:
    """A WHERE clause matching `column` exactly against `values`, and its parameters."""
    connection = connections[alias]
    quoted = connection.ops.quote_name(column)
    placeholders = ", ".join(["%s"] * len(values))
    clause = f"{quoted} IN ({placeholders})"
    params = list(values)
    if connection.vendor == "mysql":
        # MySQL's usual collations ignore case and trailing spaces, so 'Alice' would own
        # alice's memories. The plain comparison keeps the index; the binary one is exact.
        binary = ", ".join(["CAST(%s AS BINARY)"] * len(values))
        clause = f"({clause} AND CAST({quoted} AS BINARY) IN ({binary}))"
        params += list(values)
    return clause, params


def _owner_check(alias: str, user_id: str) -> tuple[str, list[Param]]:
    """The owner test of a DELETE whose rows are found by id or address.

    On PostgreSQL it is written so that no index can serve it: otherwise the planner may
    walk all of a large owner's rows through its index and compare each with every id.
    """
    if connections[alias].vendor == "postgresql":
        return "(user_id = %s) IS TRUE", [user_id]
    clause, params = _matching(alias, "user_id", [user_id])
    return clause, list(params)


def _where(target: MemoryTarget, selection: Selection) -> tuple[str, list[Param]]:
    """The WHERE clause (with a trailing LIMIT on MySQL) of the selection, and its params."""
    alias, user_id = target.alias, selection.user_id
    vendor = connections[alias].vendor
    params: list[Param]
    if selection.limit is None:
        if vendor == "postgresql" and len(selection.memory_ids) > 1:
            # One parameter, however many ids: a JSON array, which the driver passes as one
            # string instead of adapting each id. Read through a subquery, the ids' number
            # is unknown when planning: the index is probed per id, a cost bounded by the
            # ids. Seen as a constant, 1000 ids can make a table of 100k rows look cheaper
            # to scan whole, at several times the cost, growing with the table.
            where = "memory_id = ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)))"
            params = [json.dumps(list(selection.memory_ids))]
        else:
            where, ids = _matching(alias, "memory_id", selection.memory_ids)
            params = list(ids)
        if user_id is None:
            return where, params
        owner, owner_params = _owner_check(alias, user_id)
        return f"{where} AND {owner}", [*params, *owner_params]
    if user_id is None:
        raise ValueError("A limited selection needs the user_id whose memories it takes")
    # Any `limit` rows of the owner: no ORDER BY, so no sort of all its rows per batch.
    mine, mine_params = _matching(alias, "user_id", [user_id])
    if vendor == "mysql":
        # MySQL refuses LIMIT in an IN subquery, and deletes with a LIMIT of its own.
        return f"{mine} LIMIT %s", [*mine_params, selection.limit]
    table = target.quoted_table
    if vendor == "postgresql":
        # The rows' physical addresses, read once: then a TID scan. A row updated meanwhile
        # has a new address and is left alone.
        rows = f"ctid = ANY(ARRAY(SELECT ctid FROM {table} WHERE {mine} LIMIT %s))"
    else:
        rows = f"memory_id IN (SELECT memory_id FROM {table} WHERE {mine} LIMIT %s)"
    owner, owner_params = _owner_check(alias, user_id)
    return f"{rows} AND {owner}", [*mine_params, selection.limit, *owner_params]


def _with_record(
    delete_sql: str,
    params: Sequence[Param],
    entry: AuditEntry,
    *,
    owner: str | None,
    counted: bool = False,
) -> tuple[str, list[Param]]:
    """Wrap a DELETE ... RETURNING so that the same statement inserts its audit record.

    `owner` is the selection's user_id: every row the statement deletes is that user's, so
    the record names it without collecting the owners of thousands of rows.
    The statement answers with the deleted rows, or when `counted` with one row holding the
    record's count and its ids as JSON text: what a log line needs, without one row per id.
    """
    meta = MemoryDeletion._meta
    quote = connections[DEFAULT_DB_ALIAS].ops.quote_name
    fields = ("deleted_at", "actor", "channel", "db_id", "table_name", "memory_ids", "user_ids")
    column = {name: quote(meta.get_field(name).column) for name in (*fields, "count")}  # type: ignore[union-attr, arg-type]
    if owner is None:
        owners = (
            "(SELECT COALESCE(jsonb_agg(owner ORDER BY owner COLLATE \"C\"), '[]'::jsonb)"
            " FROM (SELECT DISTINCT user_id AS owner FROM gone WHERE user_id IS NOT NULL) owners)"
        )
        owner_params: list[Param] = []
    else:
        owners, owner_params = "jsonb_build_array(%s::text)", [owner]
    if counted:
        count, ids = column["count"], column["memory_ids"]
        answer = f" RETURNING {count}, {ids}) SELECT {count}, {ids}::text FROM recorded"
    else:
        answer = ") SELECT memory_id, user_id FROM gone"
    sql = (
        f"WITH gone AS ({delete_sql}), recorded AS ("
        f"INSERT INTO {quote(meta.db_table)} ({', '.join(column.values())})"
        # to_jsonb(array_agg()) builds the same array as jsonb_agg() in a fraction of the time.
        f" SELECT %s, %s, %s, %s, %s, to_jsonb(array_agg(memory_id)), {owners}, count(*)"
        f" FROM gone HAVING count(*) > 0{answer}"
    )
    values: list[Param] = [
        entry.deleted_at,
        entry.actor,
        entry.channel,
        entry.db_id,
        entry.table,
    ]
    return sql, [*params, *values, *owner_params]


def _returning(target: MemoryTarget, where: str) -> str:
    """The DELETE of the rows matching where, answering with what it deleted."""
    return f"DELETE FROM {target.quoted_table} WHERE {where} RETURNING memory_id, user_id"


def delete_counted(
    target: MemoryTarget, selection: Selection, *, record: AuditEntry
) -> tuple[int, str]:
    """Delete the selected rows and write their audit record, in one statement (only where
    records_in_statement holds); return how many were deleted and their ids as JSON text.

    An erasure's batches need no more: its thousands of rows stay in the database.
    """
    where, params = _where(target, selection)
    sql, statement_params = _with_record(
        _returning(target, where), params, record, owner=selection.user_id, counted=True
    )
    with connections[target.alias].cursor() as cursor:
        cursor.execute(sql, statement_params)
        row = cursor.fetchone()
    return (row[0], row[1]) if row else (0, "[]")


def delete_rows(
    target: MemoryTarget, selection: Selection, *, record: AuditEntry | None = None
) -> list[DeletedRow]:
    """Delete the selected rows; return what was deleted.

    With `record` (only where records_in_statement holds) the statement also writes the
    audit record. Otherwise run it inside a transaction on target.alias: where the database
    cannot return the deleted rows (MySQL), they are locked and read first.
    """
    where, params = _where(target, selection)
    table = target.quoted_table
    with connections[target.alias].cursor() as cursor:
        if _supports_delete_returning(target.alias):
            sql = _returning(target, where)
            if record is not None:
                recording_sql, recording_params = _with_record(
                    sql, params, record, owner=selection.user_id
                )
                cursor.execute(recording_sql, recording_params)
            else:
                cursor.execute(sql, params)
            rows: list[DeletedRow] = cursor.fetchall()
            return rows
        if record is not None:
            raise ValueError("This database cannot write the audit record in the statement")
        cursor.execute(f"SELECT memory_id, user_id FROM {table} WHERE {where} FOR UPDATE", params)
        rows = [(row[0], row[1]) for row in cursor.fetchall()]
        if rows:
            # Delete exactly what was locked and read, whatever a LIMIT would pick now.
            ids = _matching(target.alias, "memory_id", [row[0] for row in rows])
            cursor.execute(f"DELETE FROM {table} WHERE {ids[0]}", ids[1])
        return rows
