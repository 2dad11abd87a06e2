"""The write services: creating and updating memories as Agno writes them, on every engine."""

import datetime
import uuid

import pytest
import time_machine

from memories.exceptions import MemoryNotFoundError, TableNotFoundError
from memories.services import memory_create, memory_update
from tests import factories
from tests.factories import memory_ids_in, model_of, target

pytestmark = pytest.mark.django_db(databases="__all__")

NOW = datetime.datetime(2026, 6, 1, 12, 0, tzinfo=datetime.UTC)
EPOCH_NOW = int(NOW.timestamp())
FIELDS = ("user_id", "memory", "topics", "agent_id", "team_id", "created_at", "updated_at")


def stored(db_id: str, memory_id: str) -> dict[str, object]:
    """The row as the database holds it, read without the services."""
    manager = model_of(db_id)._default_manager.using(target(db_id).alias)
    row: dict[str, object] = manager.values(*FIELDS).get(memory_id=memory_id)
    return row


def elsewhere(db_id: str) -> str:
    """Another database, to show that a write stays in its own."""
    return "lite" if db_id != "lite" else "default"


@time_machine.travel(NOW, tick=False)
def test_create_stores_an_agno_row_in_its_database_only(db_id):
    factories.memory_create(elsewhere(db_id), memory_id="m0", user_id="alice")

    created = memory_create(
        target=target(db_id), memory="likes tea", user_id="alice", topics=["food"], team_id="t"
    )

    assert uuid.UUID(created.memory_id).version == 4
    assert memory_ids_in(db_id) == {created.memory_id}
    assert memory_ids_in(elsewhere(db_id)) == {"m0"}
    assert stored(db_id, created.memory_id) == {
        "user_id": "alice",
        "memory": "likes tea",
        "topics": ["food"],
        "agent_id": None,
        "team_id": "t",
        "created_at": EPOCH_NOW,
        "updated_at": EPOCH_NOW,
    }


def test_update_changes_only_the_allowed_fields_and_the_time(db_id):
    factories.memory_create(db_id, memory_id="m1", user_id="alice", created_at=1, updated_at=1)
    factories.memory_create(db_id, memory_id="m2", user_id="alice", memory="kept")
    before = stored(db_id, "m1")
    changes = {"memory": "likes coffee", "topics": ["drinks"], "agent_id": "a2", "team_id": "t2"}

    with time_machine.travel(NOW, tick=False):
        updated = memory_update(
            target=target(db_id),
            memory_id="m1",
            user_id="alice",
            # The owner, the id and the creation time are not the caller's to change.
            changes={**changes, "user_id": "bob", "memory_id": "m9", "created_at": 5},
        )

    assert updated.memory_id == "m1" and updated.memory == "likes coffee"
    assert stored(db_id, "m1") == {**before, **changes, "updated_at": EPOCH_NOW}
    assert stored(db_id, "m2")["memory"] == "kept"
    assert memory_ids_in(db_id) == {"m1", "m2"}


@pytest.mark.parametrize("owner", ["bob", "Alice", "alice "])
def test_update_of_another_owners_memory_is_not_found_and_changes_nothing(db_id, owner):
    factories.memory_create(db_id, memory_id="m1", user_id="alice")
    before = stored(db_id, "m1")

    with pytest.raises(MemoryNotFoundError):
        memory_update(
            target=target(db_id), memory_id="m1", user_id=owner, changes={"memory": "taken"}
        )

    assert stored(db_id, "m1") == before


def test_update_for_any_owner_reaches_an_unowned_memory(db_id):
    factories.memory_create(db_id, memory_id="u1", user_id=None, memory="old")

    memory_update(target=target(db_id), memory_id="u1", user_id=None, changes={"memory": "new"})

    assert stored(db_id, "u1")["memory"] == "new"
    assert stored(db_id, "u1")["user_id"] is None


# Inside the test's transaction, as under ATOMIC_REQUESTS: the failed insert must leave the
# transaction usable for the question whether the table is there.
@pytest.mark.django_db(databases="__all__")
def test_writes_to_a_configured_table_that_is_absent_name_it():
    absent = target("lite", "missing_memories")

    with pytest.raises(
        TableNotFoundError, match="No table 'missing_memories' found in database 'lite'"
    ):
        memory_create(target=absent, memory="x", user_id="alice")
    with pytest.raises(TableNotFoundError):
        memory_update(target=absent, memory_id="m1", user_id=None, changes={"memory": "x"})

    assert memory_ids_in("lite") == set()
