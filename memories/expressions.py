"""Database expressions over Agno's columns, written once per database vendor.

Django compiles `as_postgresql`, `as_mysql` or `as_sqlite` when the expression defines it,
and `as_sql` otherwise.
"""

import json
from collections.abc import Sequence
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, Func, TextField
from django.db.models.sql.compiler import SQLCompiler

_SqlParams = tuple[str, list[Any]]


def mysql_exact_match(column: str, values: Sequence[str]) -> _SqlParams:
    """`column` equal to one of `values` exactly, on MySQL and MariaDB.

    Their usual collations ignore case and trailing spaces, so 'Alice' would own alice's
    memories. The plain comparison keeps the index; the binary one makes it exact. Used by
    the ORM expressions and by the raw DELETE statements alike.
    """
    plain = ", ".join(["%s"] * len(values))
    binary = ", ".join(["CAST(%s AS BINARY)"] * len(values))
    sql = f"({column} IN ({plain}) AND CAST({column} AS BINARY) IN ({binary}))"
    return sql, [*values, *values]


class MemoryText(Func):
    """The text of a memory: a JSON string as is, a legacy object's "memory" key."""

    output_field = TextField()

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, params = compiler.compile(self.source_expressions[0])
        sql = (
            f"CASE WHEN NOT json_valid({column}) THEN {column} "
            f"WHEN json_type({column}) = 'text' THEN json_extract({column}, '$') "
            f"WHEN json_type({column}) = 'object' THEN json_extract({column}, '$.memory') "
            f"ELSE {column} END"
        )
        return sql, list(params) * 7

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, params = compiler.compile(self.source_expressions[0])
        value = f"({column})::jsonb"
        sql = (
            f"CASE jsonb_typeof({value}) WHEN 'string' THEN {value} #>> '{{}}' "
            f"WHEN 'object' THEN {value} ->> 'memory' ELSE ({column})::text END"
        )
        return sql, list(params) * 4

    def as_mysql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, params = compiler.compile(self.source_expressions[0])
        # JSON functions answer in a binary collation: searches ignore case, so fold it.
        sql = (
            f"(CASE JSON_TYPE({column}) WHEN 'STRING' THEN JSON_UNQUOTE({column}) "
            f"WHEN 'OBJECT' THEN JSON_UNQUOTE(JSON_EXTRACT({column}, '$.memory')) "
            f"ELSE {column} END) COLLATE utf8mb4_unicode_ci"
        )
        return sql, list(params) * 5


class _ColumnTest(Func):
    """A condition on one column and one value."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, expression: Expression | str, value: str) -> None:
        super().__init__(expression)
        self.value = value

    def column(self, compiler: SQLCompiler) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return sql, list(params)


class HasTopic(_ColumnTest):
    """True when a JSON list of topics contains the value exactly."""

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, params = self.column(compiler)
        sql = (
            f"(json_valid({column}) AND json_type({column}) = 'array' AND EXISTS "
            f"(SELECT 1 FROM json_each({column}) WHERE json_each.value = %s))"
        )
        return sql, [*params, *params, *params, self.value]

    def as_postgresql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, params = self.column(compiler)
        return f"(({column})::jsonb @> %s::jsonb)", [*params, json.dumps([self.value])]

    def as_mysql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, params = self.column(compiler)
        return f"JSON_CONTAINS({column}, %s)", [*params, json.dumps(self.value)]


class Equals(_ColumnTest):
    """`column = value`, exactly: case and trailing spaces count on MySQL too."""

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, params = self.column(compiler)
        return f"{column} = %s", [*params, self.value]

    def as_mysql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, _ = self.column(compiler)  # a plain column: no parameters of its own
        return mysql_exact_match(column, [self.value])


class ExactText(Func):
    """A text column as a grouping key that is exact on every engine: on MySQL its bytes,
    so that 'x', 'X' and 'x ' stay three keys under a collation that merges them."""

    output_field = TextField()

    def as_mysql(
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, params = compiler.compile(self.source_expressions[0])
        return f"CAST({column} AS BINARY)", list(params)

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, params = compiler.compile(self.source_expressions[0])
        return column, list(params)
