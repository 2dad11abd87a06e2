"""MySQL's and MariaDB's DELETE statements: exact owners despite their collations."""

from collections.abc import Sequence

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

    def batch_clause(self, target: Table, batch: FilterBatch) -> Clause:
        # MySQL refuses LIMIT in an IN subquery, and deletes with a LIMIT of its own; a
        # DELETE reads and checks the latest committed rows, so rows updated meanwhile are
        # judged as they are now.
        condition = batch.condition
        return Clause(f"{condition.sql} LIMIT %s", [*condition.params, batch.size])
