"""Database expressions over Agno's JSON columns, written once per database vendor."""

import json
from typing import Any

from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import BooleanField, Expression, Func, TextField
from django.db.models.sql.compiler import SQLCompiler

_SqlParams = tuple[str, list[Any]]


class MemoryText(Func):
    """The text of a memory: a JSON string as is, a legacy object's "memory" key."""

    output_field = TextField()

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, params = compiler.compile(self.source_expressions[0])
        if connection.vendor == "postgresql":
            value = f"({column})::jsonb"
            sql = (
                f"CASE jsonb_typeof({value}) WHEN 'string' THEN {value} #>> '{{}}' "
                f"WHEN 'object' THEN {value} ->> 'memory' ELSE ({column})::text END"
            )
            return sql, list(params) * 4
        if connection.vendor == "mysql":
            # JSON functions answer in a binary collation: searches ignore case, so fold it.
            sql = (
                f"(CASE JSON_TYPE({column}) WHEN 'STRING' THEN JSON_UNQUOTE({column}) "
                f"WHEN 'OBJECT' THEN JSON_UNQUOTE(JSON_EXTRACT({column}, '$.memory')) "
                f"ELSE {column} END) COLLATE utf8mb4_unicode_ci"
            )
            return sql, list(params) * 5
        sql = (
            f"CASE WHEN NOT json_valid({column}) THEN {column} "
            f"WHEN json_type({column}) = 'text' THEN json_extract({column}, '$') "
            f"WHEN json_type({column}) = 'object' THEN json_extract({column}, '$.memory') "
            f"ELSE {column} END"
        )
        return sql, list(params) * 7


class _ColumnTest(Func):
    """A condition on one column and one value, written per database vendor."""

    output_field = BooleanField()
    conditional = True

    def __init__(self, expression: Expression | str, value: str) -> None:
        super().__init__(expression)
        self.value = value

    def as_sql(  # type: ignore[override]
        self, compiler: SQLCompiler, connection: BaseDatabaseWrapper, **extra: Any
    ) -> _SqlParams:
        column, params = compiler.compile(self.source_expressions[0])
        return self.condition(connection.vendor, column, list(params))

    def condition(self, vendor: str, column: str, params: list[Any]) -> _SqlParams:
        raise NotImplementedError


class HasTopic(_ColumnTest):
    """True when a JSON list of topics contains the value exactly."""

    def condition(self, vendor: str, column: str, params: list[Any]) -> _SqlParams:
        if vendor == "postgresql":
            return f"(({column})::jsonb @> %s::jsonb)", [*params, json.dumps([self.value])]
        if vendor == "mysql":
            return f"JSON_CONTAINS({column}, %s)", [*params, json.dumps(self.value)]
        sql = (
            f"(json_valid({column}) AND json_type({column}) = 'array' AND EXISTS "
            f"(SELECT 1 FROM json_each({column}) WHERE json_each.value = %s))"
        )
        return sql, [*params, *params, *params, self.value]


class Equals(_ColumnTest):
    """`column = value`, exactly: case and trailing spaces count on MySQL too."""

    def condition(self, vendor: str, column: str, params: list[Any]) -> _SqlParams:
        if vendor == "mysql":
            # The plain comparison uses the index; the binary one makes it exact.
            sql = f"({column} = %s AND CAST({column} AS BINARY) = CAST(%s AS BINARY))"
            return sql, [*params, self.value, *params, self.value]
        return f"{column} = %s", [*params, self.value]
