"""Each engine's read of a table's distinct topics in one statement, against Python over every
row: exactly the strings of the rows' lists of topics, each once, whatever else the rows hold."""

import json

import pytest
from django.db import connections
from django.db.models import JSONField, Value

from memories.selectors import memory_queryset, memory_topics, topics_read_in_chunks
from memories.statements import condition_of
from tests.conftest import require_db_id
from tests.factories import memory_create, model_of, target

pytestmark = pytest.mark.django_db(databases="__all__")

# Lists of topics that a collation, a normalisation or a JSON decoder could get wrong.
ODD_TOPICS = [
    ["chef", "Chef", "chef ", " chef"],  # case and spaces: four topics on every engine
    ["café", "cafe\u0301", "🍵", "日本語", "Ωmega"],  # composed and decomposed é stay two
    ["", '"quoted"', "back\\slash", "[1]", "{}", "null", "tab\there"],
    ["chef", "chef", "🍵"],  # repeated, within a row and across rows
    [1, 1.5, True, None, ["nested"], {"topic": "object"}, "kept"],  # only strings count
    [],
]
# Values of the column that hold no topic at all.
NO_TOPICS = [None, Value(None, JSONField()), "a string", {"topics": ["in", "an", "object"]}, 7]


@pytest.fixture
def odd_rows(db_id):
    for number, topics in enumerate(ODD_TOPICS):
        memory_create(
            db_id, memory_id=f"listed-{number}", user_id=f"user-{number % 2}", topics=topics
        )
    for number, topics in enumerate(NO_TOPICS):
        memory_create(db_id, memory_id=f"unlisted-{number}", user_id="user-0", topics=topics)
    return db_id


def python_topics(db_id, user_id=None):
    """The distinct topics computed here from every row the ORM loads."""
    memories = model_of(db_id)._default_manager.using(target(db_id).alias).all()
    found: set[str] = set()
    for memory in memories:
        if user_id is not None and memory.user_id != user_id:
            continue
        if isinstance(memory.topics, list):
            found.update(topic for topic in memory.topics if isinstance(topic, str))
    return found


def test_one_statement_reads_exactly_the_rows_distinct_topics(odd_rows):
    chosen = target(odd_rows)
    memories = memory_queryset(target=chosen, user_id=None).filter(topics__isnull=False)

    found = chosen.statements.distinct_topics(chosen, condition_of(memories))

    assert found is not None and found == python_topics(odd_rows)
    assert {"chef", "Chef", "chef ", " chef", "café", "cafe\u0301", "", "kept"} <= found
    assert not {"1", "True", "true", "nested", "object", "a string", "in"} & found


def test_an_owners_topics_are_theirs_exactly(odd_rows):
    chosen = target(odd_rows)

    assert memory_topics(target=chosen, user_id="user-1") == sorted(
        python_topics(odd_rows, user_id="user-1")
    )
    assert memory_topics(target=chosen, user_id="User-1") == []


def test_the_statement_and_the_chunked_read_agree(odd_rows):
    chosen = target(odd_rows)
    memories = memory_queryset(target=chosen, user_id=None).filter(topics__isnull=False)

    assert memory_topics(target=chosen, user_id=None) == sorted(topics_read_in_chunks(memories))
    assert memory_topics(target=chosen, user_id=None) == sorted(python_topics(odd_rows))


def test_a_schema_qualified_table_is_read():
    require_db_id("pg")
    memory_create("pg", "ai.agno_memories", memory_id="in-ai", topics=["ai-topic", 3])
    memory_create("pg", memory_id="in-public", topics=["public-topic"])

    assert memory_topics(target=target("pg", "ai.agno_memories"), user_id=None) == ["ai-topic"]


# Values only a json column keeps as written: strings holding what jsonb refuses (\u0000, a
# lone surrogate), and one string spelled two ways (escaped and not), which is one topic.
JSON_TEXTS = [
    r'["nul\u0000here", "lone\ud800", "caf\u00e9", "café", "\ud83c\udf75", "🍵", 3, null]',
    r'["\u0000", "\udfff"]',
    r'{"topics": ["\u0000 in an object"]}',
    r'"\u0000"',
]


@pytest.fixture
def json_column():
    """Agno's schema-qualified table with its topics in a json column (not jsonb), holding the
    odd rows and JSON_TEXTS; the ALTER is rolled back with the test."""
    require_db_id("pg")
    chosen = target("pg", "ai.agno_memories")
    with connections[chosen.alias].cursor() as cursor:
        cursor.execute(
            f"ALTER TABLE {chosen.quoted_table} ALTER COLUMN topics TYPE json USING topics::json"
        )
        for number, topics in enumerate([*ODD_TOPICS, *NO_TOPICS[2:]]):
            memory_create("pg", chosen.table, memory_id=f"odd-{number}", topics=topics)
        for number, text in enumerate(JSON_TEXTS):
            memory_create("pg", chosen.table, memory_id=f"text-{number}", user_id="bob")
            cursor.execute(
                f"UPDATE {chosen.quoted_table} SET topics = %s::json WHERE memory_id = %s",
                [text, f"text-{number}"],
            )
    return chosen


def python_topics_of_text(chosen):
    """The distinct topics computed here from every row's JSON text, as Python decodes it
    (the ORM cannot load a json column: psycopg decodes it before Django's field does)."""
    found: set[str] = set()
    with connections[chosen.alias].cursor() as cursor:
        cursor.execute(f"SELECT topics::text FROM {chosen.quoted_table} WHERE topics IS NOT NULL")
        for (text,) in cursor.fetchall():
            topics = json.loads(text)
            if isinstance(topics, list):
                found.update(topic for topic in topics if isinstance(topic, str))
    return found


def test_a_json_columns_topics_are_read_as_python_reads_them(json_column):
    found = memory_topics(target=json_column, user_id=None)

    assert found == sorted(python_topics_of_text(json_column))
    assert {"nul\x00here", "lone\ud800", "café", "🍵", "\x00", "\udfff", "Chef"} <= set(found)
    assert found.count("🍵") == found.count("café") == 1
    assert memory_topics(target=json_column, user_id="bob") == sorted(
        ["\x00", "\udfff", "café", "lone\ud800", "nul\x00here", "🍵"]
    )
