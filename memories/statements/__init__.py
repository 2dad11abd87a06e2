"""The statements the ORM cannot write, one module per database engine: the DELETEs behind
every deletion, the read of a table's distinct topics, and an export's lines written by the
database where the engine can write them exactly (PostgreSQL: postgresql_lines.py).

A selection says which rows one statement deletes: `IdSelection` (these ids) or
`FilterBatch` (the next rows matching a filter: erasures, deletions by filter, retention).
`statements_for(alias)` gives the engine's statements (a target carries its own,
`MemoryTarget.statements`); nothing else in the app writes engine-specific DELETEs, unnests
JSON, or writes JSON in SQL.
"""

from django.db import connections

from memories.statements.base import (
    Clause,
    DeletedMemory,
    Deletion,
    FilterBatch,
    IdSelection,
    LineChunks,
    LineRow,
    Selection,
    Statements,
    Table,
    condition_of,
)
from memories.statements.mysql import MySQLStatements
from memories.statements.postgresql import PostgreSQLStatements
from memories.statements.sqlite import SQLiteStatements

__all__ = [
    "BATCH_SIZES",
    "Clause",
    "DeletedMemory",
    "Deletion",
    "FilterBatch",
    "IdSelection",
    "LineChunks",
    "LineRow",
    "Selection",
    "Statements",
    "Table",
    "condition_of",
    "statements_for",
]

_BY_VENDOR: dict[str, type[Statements]] = {
    "postgresql": PostgreSQLStatements,
    "mysql": MySQLStatements,
    "sqlite": SQLiteStatements,
}


# Memories per batch of a deletion by filter when the caller names no size, per vendor.
BATCH_SIZES = {vendor: statements.batch_size for vendor, statements in _BY_VENDOR.items()}


def statements_for(alias: str) -> Statements:
    """The statements of the engine behind a database alias (a target carries its
    own: MemoryTarget.statements)."""
    return _BY_VENDOR[connections[alias].vendor](alias)
