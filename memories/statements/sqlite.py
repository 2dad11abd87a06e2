"""SQLite's DELETE statements: the shared ones, as written in base.py."""

from django.db import DatabaseError

from memories.statements.base import Statements


class SQLiteStatements(Statements):
    """SQLite compares strings exactly, returns deleted rows, and takes a LIMIT in a
    subquery: the shared statements serve as they are."""

    def is_transient(self, error: DatabaseError) -> bool:
        # Another connection held the write lock past the busy timeout.
        return "database is locked" in str(error)
