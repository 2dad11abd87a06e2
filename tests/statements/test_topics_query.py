"""Each engine's read of a table's distinct topics in one statement, against Python over every
row: exactly the strings of the rows' lists of topics, each once, whatever else the rows hold."""

import pytest
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
