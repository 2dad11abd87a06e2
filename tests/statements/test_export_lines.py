"""An export's lines, written by PostgreSQL (memories/statements/postgresql_lines.py) or
rendered in Python, against the plain way: json.dumps(memory_representation(row)) of each row
as the ORM loads it, over rows that a JSON writer could get wrong, on every engine."""

import json
from typing import Any

import pytest
from django.db import connections
from django.db.models import JSONField, Value

from memories.export_streams import export_lines
from memories.models import AbstractMemory, Channel, MemoryExport
from memories.representations import memory_representation
from memories.selectors import memory_lines, memory_stream
from memories.services import memories_export
from memories.statements.postgresql_lines import FIRST_SECOND, LAST_SECOND
from tests.conftest import require_db_id
from tests.factories import memory_create, memory_ids_in, model_of, target

pytestmark = pytest.mark.django_db(databases="__all__")

# Every control character a stored string can hold (no NUL: PostgreSQL refuses it), and DEL.
CONTROLS = "".join(chr(number) for number in range(1, 32)) + "\x7f"

# Rows whose every part the database writes itself on PostgreSQL, by memory_id.
WRITTEN: dict[str, dict[str, Any]] = {
    "plain": {"memory": "Likes tea", "topics": ["drinks", "mornings"]},
    "controls": {"memory": f"a{CONTROLS}b", "topics": [CONTROLS, "tab\there"]},
    "quotes": {
        "memory": '"quoted" \\ back\\slash \\u0041 \\n /slash',
        "topics": ['"', "\\", "[1]", "null"],
        "agent_id": 'a"g\\ent',
        "team_id": "t\tab",
    },
    "unicode": {
        "memory": "Likes tea 🍵 café cafe\u0301 日本語 \x85\u2028\u2029 \ufeff",
        "topics": ["🍵", "Ωmega"],
        "team_id": "ţeam",
        "user_id": "ülrich",
    },
    "long": {"memory": "x" * 100_000 + '"', "topics": ["t" * 100] * 50},
    "long-unicode": {"memory": "é🍵\n" * 20_000},
    "null-ids": {"agent_id": None, "team_id": None, "user_id": None},
    "topics-null": {"topics": None},
    "topics-json-null": {"topics": Value(None, JSONField())},
    "topics-string": {"topics": "a,b"},
    "topics-object": {"topics": {"not": "a list"}},
    "topics-number": {"topics": 7},
    "topics-empty": {"topics": []},
    "memory-empty": {"memory": ""},
    "memory-like-json": {"memory": '{"memory": "not an object"}'},
    "epoch": {"created_at": 0, "updated_at": None},
    "before-epoch": {"created_at": -1, "updated_at": -3_155_760_001},
    "first-and-last-second": {"created_at": FIRST_SECOND, "updated_at": LAST_SECOND},
    "leap-day": {"created_at": 951_782_400, "updated_at": 1_709_251_199},
    "before-the-gregorian-calendar": {"created_at": -30_000_000_000, "updated_at": 1},
}
# Rows the database leaves to Python: values memory_representation turns into text its own way.
RENDERED: dict[str, dict[str, Any]] = {
    "legacy": {"memory": {"memory": "Legacy row", "topics": ["old"]}},
    "legacy-unicode": {"memory": {"memory": "Légacy 🍵\n"}},
    "legacy-number": {"memory": {"memory": 5}},
    "legacy-null": {"memory": {"memory": None, "other": 1}},
    "object": {"memory": {"other": 1}},
    "array": {"memory": ["a", "b"]},
    "number": {"memory": 2.5},
    "integer": {"memory": 7},
    "boolean": {"memory": True},
    "memory-json-null": {"memory": Value(None, JSONField())},
    "topics-mixed": {"topics": ["a", 1, None, 2.5, True, ["nested"], {"topic": "object"}]},
    "topics-one-number": {"topics": [1]},
}


@pytest.fixture
def odd_rows(db_id):
    for memory_id, fields in {**WRITTEN, **RENDERED}.items():
        memory_create(db_id, memory_id=memory_id, **fields)
    return db_id


def loaded(db_id) -> list[AbstractMemory]:
    """Every memory of db_id's table as the ORM loads it, in memory_id order."""
    chosen = target(db_id)
    return list(model_of(db_id)._default_manager.using(chosen.alias).order_by("memory_id"))


def is_ascii(data: dict[str, Any]) -> bool:
    return json.dumps(data, ensure_ascii=False).isascii()


@pytest.mark.parametrize("with_target", [False, True])
def test_each_line_is_the_memorys_representation(odd_rows, with_target):
    chosen = target(odd_rows)
    # Chunks of 7: rows the database writes and rows Python renders meet in one chunk.
    rows = [(chosen, line) for line in memory_lines(target=chosen, user_id=None, chunk_size=7)]
    lines = b"".join(export_lines(rows, with_target=with_target)).decode().splitlines()

    place = {"db_id": odd_rows, "table": "agno_memories"} if with_target else {}
    compared_bytes = set()
    for line, memory in zip(lines, loaded(odd_rows), strict=True):
        expected = {**place, **memory_representation(memory)}
        assert list(json.loads(line).items()) == list(expected.items()), memory.memory_id
        if is_ascii(expected):  # byte for byte json.dumps's
            assert line == json.dumps(expected), memory.memory_id
            compared_bytes.add(memory.memory_id)
    assert len(lines) == len(WRITTEN) + len(RENDERED)
    assert {"plain", "controls", "quotes", "long", "first-and-last-second"} <= compared_bytes


def test_postgresql_writes_every_line_it_can_write_exactly():
    """The rows Python renders are exactly the odd ones: a check that fell back for every
    row would pass the test above as well."""
    require_db_id("pg")
    for memory_id, fields in {**WRITTEN, **RENDERED}.items():
        memory_create("pg", memory_id=memory_id, **fields)
    chosen = target("pg")
    lines = chosen.statements.line_chunks(chosen)
    assert lines is not None

    rows = lines.chunk(None, 100)

    assert {row[0] for row in rows if row[1] is None} == set(RENDERED)
    assert all(row[2:] == (None,) * 7 for row in rows if row[1] is not None)


@pytest.mark.parametrize("seconds", [FIRST_SECOND - 1, LAST_SECOND + 1])
def test_a_time_outside_pythons_years_fails_as_the_representation_does(db_id, seconds):
    memory_create(db_id, memory_id="m1", created_at=seconds)
    (memory,) = loaded(db_id)
    with pytest.raises(ValueError) as rendered:
        memory_representation(memory)

    with pytest.raises(ValueError) as exported:
        list(memory_lines(target=target(db_id), user_id=None))

    assert str(exported.value) == str(rendered.value)


def test_lines_are_read_in_keyset_chunks_that_see_what_changed_between_them(db_id):
    for number in range(7):
        memory_create(db_id, memory_id=f"m{number}", user_id="alice")
    memory_create(db_id, memory_id="m3b", user_id="bob")
    lines = memory_lines(target=target(db_id), user_id="alice", chunk_size=3)

    first = next(lines)  # the first chunk is read: m0, m1, m2
    model = model_of(db_id)._default_manager.using(target(db_id).alias)
    model.filter(memory_id__in=["m1", "m4"]).delete()
    memory_create(db_id, memory_id="m0b", user_id="alice")  # behind the chunks read
    memory_create(db_id, memory_id="m5b", user_id="alice")  # ahead of them
    exported = [json.loads(line)["memory_id"] for line in [first, *lines]]

    assert exported == ["m0", "m1", "m2", "m3", "m5", "m5b", "m6"]
    assert memory_ids_in(db_id) == {"m0", "m0b", "m2", "m3", "m3b", "m5", "m5b", "m6"}


def test_an_export_counts_every_line_across_chunks(db_id):
    """More rows than a chunk (2000), some that the database writes and some that Python
    renders: one line each, counted in the table's audit record."""
    model = model_of(db_id)
    model._default_manager.using(target(db_id).alias).bulk_create(
        model(
            memory_id=f"m{number:05}",
            memory={"memory": "legacy"} if number % 3 == 0 else f"text {number}",
            topics=[number] if number % 5 == 0 else ["t"],
            user_id="alice",
            created_at=number,
        )
        for number in range(2345)
    )

    rows = list(
        memories_export(targets=[target(db_id)], user_id="alice", actor="a", channel=Channel.API)
    )

    assert [json.loads(line)["memory_id"] for _, line in rows] == [
        f"m{number:05}" for number in range(2345)
    ]
    record = MemoryExport.objects.get()
    assert (record.db_id, record.count, record.finished) == (db_id, 2345, True)


# Values only a json column keeps as written: an escape, a NUL, a lone surrogate, a repeated
# key, spaces; and strings that are JSON text themselves. (memory, topics) by memory_id, with
# the memory's text as exported.
JSON_TEXTS = {
    "escaped": ('"caf\\u00e9 \\ud83c\\udf75"', '["caf\\u00e9", "x"]', "caf\u00e9 \U0001f375"),
    "nul": ('"nul\\u0000here"', '["\\u0000", "lone\\ud800"]', "nul\x00here"),
    "repeated-key": ('{"memory": "first", "memory": "second"}', '{"a": 1, "a": 2}', "second"),
    "spaced": ('  "spaced"  ', '[ "a" ,"b" ]', "spaced"),
    "listed": ('"listed"', '["a", 1, null]', "listed"),
    "looks-like-a-list": ('"[1]"', '"[2]"', "[1]"),
    "looks-like-an-object": ('"{\\"memory\\": \\"x\\"}"', "null", '{"memory": "x"}'),
}
# The rows of WRITTEN that the ORM loads from json columns: a JSON string that is no JSON
# text itself (psycopg decodes the column, then Django's field decodes what it can again),
# topics that are null or a string.
LOADED = [memory_id for memory_id in WRITTEN if memory_id != "memory-like-json"]


@pytest.fixture
def json_columns():
    """Agno's schema-qualified table with memory and topics in json columns (not jsonb): a
    host may adopt one. The ALTER is rolled back with the test."""
    require_db_id("pg")
    chosen = target("pg", "ai.agno_memories")
    with connections[chosen.alias].cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {chosen.quoted_table} ALTER COLUMN memory TYPE json USING memory::json,"
            " ALTER COLUMN topics TYPE json USING topics::json"
        )
        for memory_id in LOADED:
            fields = dict(WRITTEN[memory_id])
            if not isinstance(fields.get("topics"), str):
                fields["topics"] = None
            memory_create("pg", chosen.table, memory_id=memory_id, **{"user_id": "x", **fields})
            cursor.execute(
                f"UPDATE {chosen.quoted_table} SET user_id = 'loaded' WHERE memory_id = %s",
                [memory_id],
            )
        for memory_id, (memory, topics, _) in JSON_TEXTS.items():
            memory_create("pg", chosen.table, memory_id=memory_id, user_id="texts", topics=None)
            cursor.execute(
                f"UPDATE {chosen.quoted_table} SET memory = %s::json, topics = %s::json"
                " WHERE memory_id = %s",
                [memory, topics, memory_id],
            )
    return chosen


def test_a_table_with_json_columns_exports_as_before_what_the_orm_loads(json_columns):
    before = [
        json.dumps(memory_representation(memory))
        for memory in memory_stream(target=json_columns, user_id="loaded")
    ]

    lines = list(memory_lines(target=json_columns, user_id="loaded"))

    assert lines == before
    assert len(lines) == len(LOADED)


def test_a_table_with_json_columns_exports_each_row_as_its_text_reads(json_columns):
    """Where the ORM cannot load a json column (a list or an object: psycopg decodes it
    before Django's field, which fails), or decodes a string twice, each row is rendered from
    its columns' JSON text as Python reads it. The database writes no line: it would read the
    text as jsonb, which refuses \u0000 and normalises the rest."""
    model = model_of("pg", json_columns.table)
    with connections[json_columns.alias].cursor() as cursor:
        cursor.execute(
            "SELECT memory_id, memory::text, topics::text, agent_id, team_id, user_id,"
            f" updated_at, created_at FROM {json_columns.quoted_table} WHERE user_id = 'texts'"
        )
        stored = cursor.fetchall()
    expected = {}
    for memory_id, memory, topics, agent_id, team_id, user_id, updated, created in stored:
        row = model(
            memory_id=memory_id,
            memory=json.loads(memory),
            topics=None if topics is None else json.loads(topics),
            agent_id=agent_id,
            team_id=team_id,
            user_id=user_id,
            updated_at=updated,
            created_at=created,
        )
        expected[memory_id] = memory_representation(row)
    lines = json_columns.statements.line_chunks(json_columns)
    assert lines is not None

    exported = [json.loads(line) for line in memory_lines(target=json_columns, user_id="texts")]

    assert {line["memory_id"]: line for line in exported} == expected
    assert {line["memory_id"]: line["memory"] for line in exported} == {
        memory_id: text for memory_id, (_, _, text) in JSON_TEXTS.items()
    }
    assert expected["nul"]["topics"] == ["\x00", "lone\ud800"]
    assert expected["listed"]["topics"] == ["a", "1", "None"]
    assert all(row[1] is None for row in lines.chunk(None, 100))


def test_a_time_column_holding_fractions_is_rendered_in_python():
    require_db_id("pg")
    chosen = target("pg", "ai.agno_memories")
    with connections[chosen.alias].cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {chosen.quoted_table} ALTER COLUMN created_at TYPE double precision"
        )
    memory_create("pg", chosen.table, memory_id="m1")
    memory_create("pg", chosen.table, memory_id="m2", created_at=1_700_000_000)
    with connections[chosen.alias].cursor() as cursor:
        cursor.execute(f"UPDATE {chosen.quoted_table} SET created_at = 1.5 WHERE memory_id = 'm1'")
    stored = model_of("pg", chosen.table)._default_manager.using("pg").order_by("memory_id")

    lines = list(memory_lines(target=chosen, user_id=None))

    assert lines == [json.dumps(memory_representation(memory)) for memory in stored]
    assert json.loads(lines[0])["created_at"] == "1970-01-01T00:00:01.500000Z"
