r"""PostgreSQL writes each exported memory's line itself, and Python relays the text.

An export renders every memory as the JSON object GET /memories/{id} answers
(memories.representations.memory_representation). Read as Python objects and rendered by
json.dumps, 100,000 rows took 3.6 x a COPY of the same rows as JSON before any HTTP
(BENCHMARKS.md, the paths added since): each value leaves the driver as a Python object and
goes back to text. Here each chunk's SELECT answers, per row, the line as the database
writes it:

    '{"memory_id": ' || to_json(memory_id)::text || ', "memory": ' || memory::text || ...

json.dumps's keys in memory_representation's order, with its separators (", " between
items, ": " after keys; jsonb writes its arrays with ", " too). PostgreSQL escapes strings as
Python does for ASCII: \" \\ \b \f \n \r \t, and \u00XX in lowercase for the other control
characters. So a line of ASCII text is byte for byte json.dumps's, but for DEL, which
PostgreSQL alone leaves as it is; other characters are written as UTF-8 where json.dumps
escapes them (\u00e9, surrogate pairs for emoji), and the line parses to the same value. DEL,
and the three characters at which str.splitlines() ends a line (NEL, U+2028, U+2029, which a
client splitting the export's text that way would break a memory at), are escaped here, in
the rare line that holds one: a line knows in constant time whether it is ASCII, and DEL is
one search; four replace() in SQL added half again to the database's work (0.26 s to
0.41 s for the lines of 100,000 rows).

The database writes only what it writes exactly as memory_representation would. A part it
cannot write is NULL, and so (`||`) is the line; for such a row the statement answers its
columns instead, memory and topics as their JSON text (decoded as the ORM decodes jsonb), and
the caller renders it with memory_representation, the one path for odd rows:
- `memory` that is no JSON string: a legacy object, a number, an array (memory_text's rules);
- `topics` that is a list holding anything but strings (topic_list writes str(item), as
  Python spells 1, None or 2.5); a value that is no list is null there and here;
- a time outside the years 1 to 9999, where datetime.fromtimestamp fails (so the row fails
  as it does through the ORM) and to_char writes other years; within them, to_char of the
  UTC time is iso_datetime's text for whole seconds.
A table whose columns are not of the types the app creates (memory and topics jsonb, times
integers, ids text) gets no line at all: every row is rendered from its columns, decided
once per export of the table from the catalog. A host may adopt a table with json columns,
which keep text as written (escapes, \u0000, duplicate keys) where jsonb normalises it, and
times in a float column, which hold fractions.

tests/statements/test_export_lines.py holds the lines to memory_representation's over
odd rows.
"""

import json

from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper

from memories.models import AbstractMemory
from memories.statements.base import Clause, LineRow

# The columns a line is written from, with the types (format_type's names) for which the
# database writes it exactly.
_TEXT = frozenset({"character varying", "text"})
_INTEGERS = frozenset({"bigint", "integer", "smallint"})
LINE_COLUMN_TYPES = {
    "memory_id": _TEXT,
    "memory": frozenset({"jsonb"}),
    "topics": frozenset({"jsonb"}),
    "agent_id": _TEXT,
    "team_id": _TEXT,
    "user_id": _TEXT,
    "updated_at": _INTEGERS,
    "created_at": _INTEGERS,
}
# Characters PostgreSQL writes as they are where json.dumps escapes them, escaped here: DEL,
# the only one in ASCII, and those at which str.splitlines() ends a line (NEL, the line and
# paragraph separators), so that a line of the export is one line however it is split.
ESCAPES = {character: f"\\u{ord(character):04x}" for character in "\x7f\x85\u2028\u2029"}
# The columns answered as JSON text for a row without a line.
JSON = frozenset({"memory", "topics"})
# The epoch seconds of 0001-01-01T00:00:00Z and 9999-12-31T23:59:59Z: Python's datetimes.
FIRST_SECOND = -62135596800
LAST_SECOND = 253402300799


class PostgreSQLLines:
    """One table's memories as export lines, a chunk per statement."""

    def __init__(self, alias: str, quoted_table: str) -> None:
        self.alias = alias
        self.quoted_table = quoted_table
        quote = self.connection.ops.quote_name
        self._columns = {column: quote(column) for column in LINE_COLUMN_TYPES}
        line = self._line() if self._writes_lines() else "NULL::text"
        self._inner = ", ".join([*self._columns.values(), f"{line} AS line"])
        odd = [
            f"CASE WHEN line IS NULL THEN {column}{'::text' if name in JSON else ''} END"
            for name, column in self._columns.items()
            if name != "memory_id"
        ]
        self._outer = ", ".join([self._columns["memory_id"], "line", *odd])

    @property
    def connection(self) -> BaseDatabaseWrapper:
        # Looked up on each use, as Statements does: a connection belongs to one thread.
        return connections[self.alias]

    def _writes_lines(self) -> bool:
        """Whether the table's columns are all of a type whose values the line writes
        exactly (one read of the catalog)."""
        with self.connection.cursor() as cursor:
            cursor.execute(
                "SELECT attname, format_type(atttypid, NULL) FROM pg_attribute"
                " WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
                [self.quoted_table],
            )
            types = dict(cursor.fetchall())
        return all(types.get(name) in allowed for name, allowed in LINE_COLUMN_TYPES.items())

    def _line(self) -> str:
        """The SQL of a row's line: NULL where a part of it is not memory_representation's."""
        column = self._columns
        memory, topics = column["memory"], column["topics"]
        parts = {
            "memory_id": _text(column["memory_id"]),
            "memory": f"CASE WHEN jsonb_typeof({memory}) = 'string' THEN {memory}::text END",
            "topics": (
                f"CASE WHEN jsonb_typeof({topics}) IS DISTINCT FROM 'array' THEN 'null'"
                f""" WHEN NOT {topics} @? 'strict $[*] ? (@.type() != "string")'"""
                f" THEN {topics}::text END"
            ),
            "agent_id": _text(column["agent_id"]),
            "team_id": _text(column["team_id"]),
            "user_id": _text(column["user_id"]),
            "updated_at": _time(column["updated_at"]),
            "created_at": _time(column["created_at"]),
        }
        items = " || ', ' || ".join(f"'\"{name}\": ' || {sql}" for name, sql in parts.items())
        return f"'{{' || {items} || '}}'"

    def chunk(self, condition: Clause | None, size: int) -> list[LineRow]:
        """The first `size` rows matching `condition` (every row for None) in memory_id
        order: each row's memory_id and line, or the columns memory_of reads."""
        where = condition or Clause("TRUE", [])
        memory_id = self._columns["memory_id"]
        sql = (
            f"SELECT {self._outer} FROM (SELECT {self._inner} FROM {self.quoted_table}"
            f" WHERE {where.sql} ORDER BY {memory_id} LIMIT %s) AS chunk ORDER BY {memory_id}"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [*where.params, size])
            rows: list[LineRow] = cursor.fetchall()
        for index, row in enumerate(rows):
            line = row[1]
            if line is not None and (not line.isascii() or "\x7f" in line):
                rows[index] = (row[0], escaped(line), *row[2:])
        return rows

    def memory_of(self, model: type[AbstractMemory], row: LineRow) -> AbstractMemory:
        """The memory of a row without a line, its JSON columns decoded as the ORM decodes
        jsonb (JSONField.from_db_value: json.loads of the text)."""
        memory_id, _, memory, topics, agent_id, team_id, user_id, updated_at, created_at = row
        return model(
            memory_id=memory_id,
            memory=None if memory is None else json.loads(memory),
            topics=None if topics is None else json.loads(topics),
            agent_id=agent_id,
            team_id=team_id,
            user_id=user_id,
            updated_at=updated_at,
            created_at=created_at,
        )


def escaped(line: str) -> str:
    """The line with ESCAPES escaped as json.dumps escapes them."""
    for character, escape in ESCAPES.items():
        if character in line:
            line = line.replace(character, escape)
    return line


def _text(column: str) -> str:
    return f"COALESCE(to_json({column})::text, 'null')"


def _time(column: str) -> str:
    """iso_datetime's text of epoch seconds in JSON, NULL outside Python's years."""
    return (
        f"CASE WHEN {column} IS NULL THEN 'null'"
        f" WHEN {column} BETWEEN {FIRST_SECOND} AND {LAST_SECOND}"
        f""" THEN '"' || to_char(to_timestamp({column}) AT TIME ZONE 'UTC',"""
        f""" 'YYYY-MM-DD"T"HH24:MI:SS"Z"') || '"' END"""
    )
