"""SQLite's statements: the shared DELETEs, as written in base.py, and json_each's topics."""

from django.db import DatabaseError

from memories.statements.base import Clause, Statements, Table


class SQLiteStatements(Statements):
    """SQLite compares strings exactly, returns deleted rows, and takes a LIMIT in a
    subquery: the shared statements serve as they are."""

    def topics_query(self, target: Table, condition: Clause) -> Clause:
        topics = f"{target.quoted_table}.{self.quote('topics')}"
        # json_each() fails on text that is not JSON: such a row, or one whose topics are
        # no list, is read as an empty list. DISTINCT compares text bytewise (BINARY).
        listed = (
            f"CASE WHEN json_valid({topics}) AND json_type({topics}) = 'array'"
            f" THEN {topics} ELSE '[]' END"
        )
        return Clause(
            f"SELECT DISTINCT element.value FROM {target.quoted_table}, json_each({listed})"
            f" AS element WHERE ({condition.sql}) AND element.type = 'text'",
            condition.params,
        )

    def is_transient(self, error: DatabaseError) -> bool:
        # Another connection held the write lock past the busy timeout.
        return "database is locked" in str(error)
