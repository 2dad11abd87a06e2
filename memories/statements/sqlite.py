"""SQLite's DELETE statements: the shared ones, as written in base.py."""

from memories.statements.base import Statements


class SQLiteStatements(Statements):
    """SQLite compares strings exactly, returns deleted rows, and takes a LIMIT in a
    subquery: nothing differs from the shared statements."""
