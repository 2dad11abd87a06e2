"""The DELETE statements behind every deletion: one statement decides what is gone."""

from collections.abc import Sequence

from django.db import connections

from memories.targets import MemoryTarget

# (memory_id, owner user_id) of one deleted row.
DeletedRow = tuple[str, str | None]


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


def delete_rows(
    target: MemoryTarget, *, memory_ids: Sequence[str], user_id: str | None
) -> list[DeletedRow]:
    """Delete the rows with these ids (owned by user_id, if given); return what was deleted.

    Run it inside a transaction on target.alias: where the database cannot return the
    deleted rows (MySQL), they are locked and read first.
    """
    where, params = _matching(target.alias, "memory_id", memory_ids)
    if user_id is not None:
        owner_clause, owner_params = _matching(target.alias, "user_id", [user_id])
        where, params = f"{where} AND {owner_clause}", params + owner_params
    table = target.quoted_table
    with connections[target.alias].cursor() as cursor:
        if _supports_delete_returning(target.alias):
            cursor.execute(
                f"DELETE FROM {table} WHERE {where} RETURNING memory_id, user_id", params
            )
            return [(row[0], row[1]) for row in cursor.fetchall()]
        cursor.execute(f"SELECT memory_id, user_id FROM {table} WHERE {where} FOR UPDATE", params)
        rows = [(row[0], row[1]) for row in cursor.fetchall()]
        if rows:
            cursor.execute(f"DELETE FROM {table} WHERE {where}", params)
        return rows
