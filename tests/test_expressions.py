"""The per-engine expressions over Agno's columns decide on every engine as Python does."""

import json

import pytest

from memories.expressions import Equals, ExactText, HasTopic, MemoryText, mysql_exact_match
from tests.factories import memory_create, model_of, target

pytestmark = pytest.mark.django_db(databases="__all__")


def memories(db_id):
    return model_of(db_id)._default_manager.using(target(db_id).alias)


@pytest.mark.parametrize(
    "stored, text",
    [
        ("Likes green tea", "Likes green tea"),
        ({"memory": "Legacy object", "topics": ["x"]}, "Legacy object"),
    ],
    ids=["json-string", "legacy-object"],
)
def test_memory_text_reads_a_string_and_a_legacy_objects_memory(db_id, stored, text):
    memory_create(db_id, memory_id="m1", memory=stored)

    (found,) = memories(db_id).annotate(text=MemoryText("memory")).values_list("text", flat=True)

    assert found == text


def test_has_topic_matches_an_exact_element_of_the_list(db_id):
    memory_create(db_id, memory_id="tea", topics=["tea", "green"])
    memory_create(db_id, memory_id="upper", topics=["Tea"])
    memory_create(db_id, memory_id="longer", topics=["teapot"])
    memory_create(db_id, memory_id="none", topics=None)

    found = memories(db_id).filter(HasTopic("topics", "tea")).values_list("memory_id", flat=True)

    assert set(found) == {"tea"}


@pytest.mark.parametrize("value", ["alice", "Alice", "alice ", "ALICE"])
def test_equals_is_exact_where_the_collation_is_not(db_id, value):
    for owner in ["alice", "Alice", "alice ", "ALICE"]:
        memory_create(db_id, user_id=owner)

    found = memories(db_id).filter(Equals("user_id", value)).values_list("user_id", flat=True)

    assert list(found) == [value]


def test_exact_text_keeps_apart_values_a_collation_merges(db_id):
    for agent in ["chef", "Chef", "chef ", "chef"]:
        memory_create(db_id, agent_id=agent)

    keys = memories(db_id).values_list(ExactText("agent_id"), flat=True).distinct()

    # MySQL answers the bytes of the value; the others the value itself.
    assert {
        bytes(key).decode() if isinstance(key, bytes | bytearray) else key for key in keys
    } == {
        "chef",
        "Chef",
        "chef ",
    }


def test_mysql_exact_match_keeps_the_plain_comparison_for_the_index():
    sql, params = mysql_exact_match("`user_id`", ["a", "b"])

    assert sql == (
        "(`user_id` IN (%s, %s) AND CAST(`user_id` AS BINARY) IN "
        "(CAST(%s AS BINARY), CAST(%s AS BINARY)))"
    )
    assert params == ["a", "b", "a", "b"]


def test_memory_text_of_a_json_value_that_is_neither_string_nor_object(db_id):
    memory_create(db_id, memory_id="m1", memory=["a", "list"])

    (found,) = memories(db_id).annotate(text=MemoryText("memory")).values_list("text", flat=True)

    assert json.loads(found) == ["a", "list"]
