"""How an export is written: one JSON object a line, sent in chunks of whole lines."""

import json

import pytest

from memories.exports import CHUNK_BYTES, export_lines
from tests.factories import memory_create, memory_ids_in, model_of, target

pytestmark = pytest.mark.django_db(databases="__all__")


def stored_rows(db_id):
    """Every memory of db_id's table as read back from it, in id order."""
    where = target(db_id)
    memories = model_of(db_id)._default_manager.using(where.alias).order_by("memory_id")
    return [(where, memory) for memory in memories]


@pytest.mark.parametrize("with_target", [False, True])
def test_one_line_per_memory_as_get_renders_it_and_its_place_first(db_id, with_target):
    memory_create(
        db_id,
        memory_id="m1",
        user_id="alice",
        memory="Likes tea 🍵",
        topics=["drinks", "mornings"],
        team_id=None,
        created_at=1_700_000_000,
        updated_at=None,
    )

    (chunk,) = export_lines(stored_rows(db_id), with_target=with_target)

    assert chunk.endswith(b"\n") and chunk.count(b"\n") == 1
    line = json.loads(chunk)
    place = {"db_id": db_id, "table": "agno_memories"} if with_target else {}
    assert list(line) == [*place, "memory_id", "memory", "topics", "agent_id", "team_id"] + [
        "user_id",
        "updated_at",
        "created_at",
    ]
    assert line == {
        **place,
        "memory_id": "m1",
        "memory": "Likes tea 🍵",
        "topics": ["drinks", "mornings"],
        "agent_id": "agent-1",
        "team_id": None,
        "user_id": "alice",
        "updated_at": None,
        "created_at": "2023-11-14T22:13:20Z",
    }
    assert memory_ids_in(db_id) == {"m1"}


def test_chunks_hold_whole_lines_of_about_chunk_bytes():
    # Lines of 60% of a chunk: the second line passes the size, the third starts a new chunk.
    for number in range(5):
        memory_create(memory_id=f"m{number}", memory="x" * int(CHUNK_BYTES * 0.6))

    chunks = list(export_lines(stored_rows("default"), with_target=False))

    assert [chunk.count(b"\n") for chunk in chunks] == [2, 2, 1]
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    assert all(CHUNK_BYTES <= len(chunk) < 2 * CHUNK_BYTES for chunk in chunks[:-1])
    lines = b"".join(chunks).decode().splitlines()
    assert [json.loads(line)["memory_id"] for line in lines] == [f"m{n}" for n in range(5)]


def test_no_rows_no_bytes():
    assert list(export_lines([], with_target=True)) == []
