"""The erasure service: every memory of one user deleted, complete even while writers add
more, or failing after its rounds with what is left."""

import pytest

from memories.exceptions import DeletionUnfinishedError
from memories.models import Channel, MemoryDeletion
from memories.services import DeletedBatch, user_memories_erase
from memories.targets import resolve_target
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")


def audited_ids(db_id: str) -> list[str]:
    records = MemoryDeletion.objects.filter(db_id=db_id)
    return sorted(i for record in records for i in record.memory_ids)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_memories_written_between_batches_are_erased_too(db_id):
    for number in range(5):
        memory_create(db_id, memory_id=f"a{number}", user_id="alice")
    memory_create(db_id, memory_id="b0", user_id="bob")
    target = resolve_target(db_id=db_id)
    written: list[str] = []

    def write_two_more_once(batch: DeletedBatch) -> None:
        if not written:  # a writer that stops: the erasure must catch up with it
            written.extend(memory_create(db_id, user_id="alice").memory_id for _ in range(2))

    totals = user_memories_erase(
        user_id="alice",
        targets=[target],
        actor="root",
        channel=Channel.COMMAND,
        batch_size=2,
        on_batch=write_two_more_once,
    )

    assert totals == {target: 7}
    assert memory_ids_in(db_id) == {"b0"}
    assert audited_ids(db_id) == sorted([f"a{number}" for number in range(5)] + written)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_erasure_that_writers_keep_refilling_fails_after_its_rounds(db_id, refilled):
    memory_create(db_id, memory_id="a0", user_id="alice")
    memory_create(db_id, memory_id="b0", user_id="bob")
    target = resolve_target(db_id=db_id)

    with pytest.raises(DeletionUnfinishedError) as raised:
        user_memories_erase(
            user_id="alice", targets=[target], actor="root", channel=Channel.COMMAND, max_rounds=3
        )

    error = raised.value
    # Round one deletes a0, each round after it the two memories the last one made.
    assert error.deleted == {(db_id, "agno_memories"): 5}
    assert error.remaining == {(db_id, "agno_memories"): 2}
    assert f"{db_id}/agno_memories: 2 left" in str(error)
    assert sum(r.count for r in MemoryDeletion.objects.filter(db_id=db_id)) == 5
    assert memory_ids_in(db_id) == {"b0", *refilled[-2:]}
