"""delete_memories: counts first, at least one filter, exact matches, loud failure."""

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from memories.management.commands.delete_memories import moment
from memories.models import MemoryDeletion
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")

DAY = 86400


def delete(*args: str) -> str:
    out = StringIO()
    call_command("delete_memories", *args, stdout=out)
    return out.getvalue()


def test_counts_then_deletes_what_every_filter_matches(db_id):
    memory_create(db_id, memory_id="c1", agent_id="chef", topics=["food", "tea"])
    memory_create(db_id, memory_id="c2", agent_id="chef", topics=["food"])
    memory_create(db_id, memory_id="C3", agent_id="Chef", topics=["food", "tea"])
    memory_create(db_id, memory_id="o1", agent_id="coach", topics=["food", "tea"])

    chef_with_food_and_tea = ["--agent-id", "chef", "--topic", "food", "--topic", "tea"]

    dry = delete(*chef_with_food_and_tea, "--db-id", db_id, "--dry-run")
    assert f"  {db_id:<16} {'agno_memories':<32} 1" in dry
    assert "Dry run: nothing was deleted." in dry
    assert memory_ids_in(db_id) == {"c1", "c2", "C3", "o1"}

    done = delete(*chef_with_food_and_tea, "--db-id", db_id, "--yes")

    assert "Deleted 1 memory matching agent_id='chef', topic='food', topic='tea'." in done
    assert memory_ids_in(db_id) == {"c2", "C3", "o1"}
    record = MemoryDeletion.objects.get()
    assert (record.memory_ids, record.channel, record.count) == (["c1"], "command", 1)


def test_updated_before_takes_what_was_last_written_before_the_moment():
    now = moment("2026-06-01")
    memory_create(memory_id="old", created_at=now - 10 * DAY, updated_at=now - 5 * DAY)
    memory_create(memory_id="touched", created_at=now - 10 * DAY, updated_at=now + 1)
    memory_create(memory_id="never-updated", created_at=now - 10 * DAY, updated_at=None)
    memory_create(memory_id="at-the-moment", created_at=now - 10 * DAY, updated_at=now)

    delete("--updated-before", "2026-06-01", "--db-id", "default", "--yes")

    assert memory_ids_in("default") == {"touched", "at-the-moment"}


def test_without_a_filter_nothing_is_deleted():
    memory_create(memory_id="m1")

    with pytest.raises(CommandError, match="at least one filter"):
        delete("--db-id", "default", "--yes")
    assert memory_ids_in("default") == {"m1"}


def test_a_date_that_is_not_one_is_an_error():
    with pytest.raises(CommandError, match="--created-before: not an ISO 8601 date or time"):
        delete("--created-before", "last tuesday", "--yes")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-06-01", 1780272000),
        ("2026-06-01T12:00:00", 1780315200),
        ("2026-06-01T12:00:00+02:00", 1780308000),
    ],
)
def test_moments_are_utc_unless_they_say_otherwise(text, expected):
    assert moment(text) == expected


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_deletion_that_writers_keep_refilling_fails_loudly(refilled):
    memory_create("lite", memory_id="a0", user_id="alice", agent_id="agent-1")

    with pytest.raises(CommandError, match="but the deletion did not finish"):
        delete("--agent-id", "agent-1", "--db-id", "lite", "--yes")
    assert len(memory_ids_in("lite")) == 2
