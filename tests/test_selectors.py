"""The reads every edge shares: whose memories, which ones a filter matches, in what order."""

import pytest

from memories.exceptions import MemoryNotFoundError
from memories.owners import NOBODY
from memories.selectors import (
    MemoryFilter,
    memory_column_values,
    memory_get,
    memory_matching,
    memory_queryset,
    memory_stream,
)
from tests.factories import memory_create, target

pytestmark = pytest.mark.django_db(databases="__all__")


def ids(memories):
    return {memory.memory_id for memory in memories}


@pytest.mark.parametrize(
    "owner, expected",
    [(None, {"a1", "b1", "u1"}), ("alice", {"a1"}), ("Alice", set()), (NOBODY, set())],
    ids=["anyone", "alice", "Alice", "nobody"],
)
def test_memory_queryset_keeps_to_the_owner_exactly(db_id, owner, expected):
    memory_create(db_id, memory_id="a1", user_id="alice")
    memory_create(db_id, memory_id="b1", user_id="bob")
    memory_create(db_id, memory_id="u1", user_id=None)

    assert ids(memory_queryset(target=target(db_id), user_id=owner)) == expected


def test_memory_get_finds_only_what_the_owner_may_reach(db_id):
    memory_create(db_id, memory_id="a1", user_id="alice")

    assert memory_get(target=target(db_id), memory_id="a1", user_id="alice").memory_id == "a1"
    with pytest.raises(MemoryNotFoundError):
        memory_get(target=target(db_id), memory_id="a1", user_id="bob")
    with pytest.raises(MemoryNotFoundError):
        memory_get(target=target(db_id), memory_id="a1", user_id=NOBODY)
    with pytest.raises(MemoryNotFoundError):
        memory_get(target=target(db_id), memory_id="A1", user_id=None)


def test_memory_matching_takes_every_criterion_and_compares_times_strictly(db_id):
    def create(memory_id, **fields):
        fields = {"user_id": "alice", "topics": ["x", "y"], "agent_id": "a", **fields}
        memory_create(db_id, memory_id=memory_id, **fields)

    create("match", created_at=50, updated_at=99)
    create("never-updated", created_at=99, updated_at=None)
    create("updated-at-the-limit", created_at=50, updated_at=100)
    create("one-topic", created_at=50, updated_at=99, topics=["x"])
    create("other-agent", created_at=50, updated_at=99, agent_id="b")
    create("other-owner", created_at=50, updated_at=99, user_id="bob")
    wanted = MemoryFilter(
        user_id="alice", agent_id="a", topics=("x", "y"), updated_before=100, created_before=100
    )

    found = memory_matching(target=target(db_id), memory_filter=wanted)

    assert ids(found) == {"match", "never-updated"}
    assert MemoryFilter().is_empty and not wanted.is_empty


def test_memory_stream_reads_every_memory_in_order_across_chunks(db_id):
    for number in range(7):
        memory_create(db_id, memory_id=f"m{6 - number}", user_id="alice")
    memory_create(db_id, memory_id="b", user_id="bob")

    streamed = memory_stream(target=target(db_id), user_id="alice", chunk_size=3)

    assert [memory.memory_id for memory in streamed] == [f"m{n}" for n in range(7)]


def test_memory_column_values_are_distinct_exactly(db_id):
    for agent in ["chef", "Chef", "chef", None, "baker"]:
        memory_create(db_id, agent_id=agent)

    values = memory_column_values(target=target(db_id), column="agent_id")

    assert sorted(values) == ["Chef", "baker", "chef"]
    assert len(values) == 3
