"""The deletion signals: sent after commit, once per memory or once per batch, with the
keyword arguments memories/signals.py lists."""

import pytest
from django.db import transaction

from memories.exceptions import MemoryNotFoundError
from memories.models import Channel, MemoryDeletion
from memories.services import memories_delete, memory_delete
from memories.signals import memories_deleted, memory_deleted
from tests.factories import memory_create, memory_ids_in, target

pytestmark = pytest.mark.django_db(databases="__all__")


def calls_of(signal):
    """Every sending of signal while connected, as {"sender": ..., **kwargs}."""
    calls: list[dict] = []

    def receiver(sender, **kwargs):
        calls.append({"sender": sender, **kwargs})

    signal.connect(receiver)
    yield calls
    signal.disconnect(receiver)


@pytest.fixture
def received():
    yield from calls_of(memory_deleted)


@pytest.fixture
def batches():
    yield from calls_of(memories_deleted)


class MemoryDeletedTests:
    @pytest.mark.django_db(transaction=True, databases="__all__")
    def test_sent_once_after_commit_with_its_arguments(self, received):
        memory_create(memory_id="m1", user_id="bob")

        memory_delete(
            target=target(), memory_id="m1", user_id="bob", actor="bob", channel=Channel.API
        )

        assert len(received) == 1
        call = received[0]
        assert call["sender"]._meta.db_table == "agno_memories"
        assert {key: call[key] for key in ("memory_id", "user_id", "db_id", "table")} == {
            "memory_id": "m1",
            "user_id": "bob",
            "db_id": "default",
            "table": "agno_memories",
        }
        assert (call["actor"], call["channel"]) == ("bob", "api")

    @pytest.mark.django_db(transaction=True, databases="__all__")
    def test_not_sent_before_commit_nor_when_rolled_back(self, received):
        memory_create(memory_id="m1", user_id="bob")

        with pytest.raises(RuntimeError), transaction.atomic(using="default"):
            memory_delete(
                target=target(), memory_id="m1", user_id="bob", actor="bob", channel=Channel.API
            )
            assert received == []
            raise RuntimeError("the caller's transaction fails")

        assert received == []
        assert memory_ids_in("default") == {"m1"}
        assert not MemoryDeletion.objects.exists()

    def test_not_sent_for_a_missing_memory(self, received, django_capture_on_commit_callbacks):
        with (
            django_capture_on_commit_callbacks(execute=True),
            pytest.raises(MemoryNotFoundError),
        ):
            memory_delete(
                target=target(), memory_id="x", user_id=None, actor="a", channel=Channel.API
            )
        assert received == []


class MemoriesDeletedTests:
    def test_sent_once_per_batch_after_commit_with_its_arguments(
        self, db_id, batches, django_capture_on_commit_callbacks
    ):
        memory_create(db_id, memory_id="m1", user_id="bob")
        memory_create(db_id, memory_id="m2", user_id="alice")
        memory_create(db_id, memory_id="m3", user_id="bob")
        memory_create(db_id, memory_id="m4", user_id="carol")

        with django_capture_on_commit_callbacks(using=db_id) as callbacks:
            memories_delete(
                target=target(db_id),
                memory_ids=["m3", "m1", "m2"],
                user_id=None,
                actor="root",
                channel=Channel.COMMAND,
            )
            assert batches == []
        for callback in callbacks:
            callback()

        (call,) = batches
        assert call["sender"] is target(db_id).model
        assert sorted(call.pop("memory_ids")) == ["m1", "m2", "m3"]
        assert call.pop("signal") is memories_deleted
        assert {key: value for key, value in call.items() if key != "sender"} == {
            "user_ids": ["alice", "bob"],
            "db_id": db_id,
            "table": "agno_memories",
            "actor": "root",
            "channel": Channel.COMMAND,
        }
        assert memory_ids_in(db_id) == {"m4"}

    def test_not_sent_for_a_single_delete_nor_when_nothing_is_deleted(
        self, batches, django_capture_on_commit_callbacks
    ):
        memory_create(memory_id="m1", user_id="bob")

        with django_capture_on_commit_callbacks(execute=True):
            memory_delete(
                target=target(), memory_id="m1", user_id=None, actor="a", channel=Channel.API
            )
            memories_delete(
                target=target(), memory_ids=["x"], user_id=None, actor="a", channel=Channel.API
            )

        assert batches == []
        assert memory_ids_in("default") == set()
