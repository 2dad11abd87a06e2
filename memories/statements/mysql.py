"""MySQL's and MariaDB's statements: exact owners despite their collations, and the topics
unnested by JSON_TABLE."""

from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError

from memories.expressions import mysql_exact_match
from memories.statements.base import Clause, FilterBatch, Statements, Table


class MySQLStatements(Statements):
    @property
    def can_return_rows(self) -> bool:  # type: ignore[override]
        # MariaDB answers DELETE ... RETURNING; MySQL does not.
        return bool(self.connection.mysql_is_mariadb)  # type: ignore[attr-defined]

    def is_transient(self, error: DatabaseError) -> bool:
        # ER_LOCK_DEADLOCK, ER_LOCK_WAIT_TIMEOUT: InnoDB rolled the statement's transaction back.
        return bool(error.args) and error.args[0] in (1213, 1205)

    def exact_match(self, column: str, values: Sequence[str]) -> Clause:
        sql, params = mysql_exact_match(self.quote(column), values)
        return Clause(sql, params)

    def topics_query(self, target: Table, condition: Clause) -> Clause | None:
        connection: Any = self.connection
        if connection.mysql_is_mariadb and connection.mysql_version < (10, 6):
            return None  # JSON_TABLE came with MariaDB 10.6 (and MySQL 8.0)
        topics = f"{target.quoted_table}.{self.quote('topics')}"
        # Each topic as its bytes: the column's collation would merge 'a', 'A' and 'a '.
        # JSON_TYPE is NULL for text that is not JSON: such a row unnests to no topic.
        return Clause(
            f"SELECT DISTINCT CAST(JSON_UNQUOTE(element.topic) AS BINARY)"
            f" FROM {target.quoted_table}, JSON_TABLE("
            f"CASE WHEN JSON_TYPE({topics}) = 'ARRAY' THEN {topics} ELSE '[]' END,"
            " '$[*]' COLUMNS (topic JSON PATH '$')) AS element"
            f" WHERE ({condition.sql}) AND JSON_TYPE(element.topic) = 'STRING'",
            condition.params,
        )

    def topic_of(self, value: Any) -> str:
        return bytes(value).decode()

    def batch_clause(self, target: Table, batch: FilterBatch) -> Clause:
        # MySQL refuses LIMIT in an IN subquery, and deletes with a LIMIT of its own; a
        # DELETE reads and checks the latest committed rows, so rows updated meanwhile are
        # judged as they are now.
        condition = batch.condition
        return Clause(f"{condition.sql} LIMIT %s", [*condition.params, batch.size])
