"""Erasing every memory of one user (the right to be forgotten), provably completely."""

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from memories.exceptions import ErasureIncompleteError
from memories.models import Channel
from memories.selectors import memory_count
from memories.services.deletion import delete_selection
from memories.statements import UserBatch
from memories.targets import MemoryTarget, has_table

logger = logging.getLogger("memories.deletions")

# Memories per erasure batch: each batch is one statement, one transaction, one audit record.
ERASE_BATCH_SIZE = 5000
# Rounds of batches, each ended by a count, before an erasure that writers keep refilling
# gives up and says so.
ERASE_MAX_ROUNDS = 10


@dataclass(frozen=True)
class ErasedBatch:
    """Progress of an erasure: one committed batch."""

    target: MemoryTarget
    deleted: int


def user_memories_erase(
    *,
    user_id: str,
    targets: Sequence[MemoryTarget],
    actor: str,
    channel: Channel,
    batch_size: int = ERASE_BATCH_SIZE,
    max_rounds: int = ERASE_MAX_ROUNDS,
    on_batch: Callable[[ErasedBatch], None] | None = None,
) -> dict[MemoryTarget, int]:
    """Delete every memory of user_id in targets; the count deleted per target.

    It ends only when a count after the last batch finds no memory of the user left in each
    target, so memories written while it runs are erased too; otherwise it raises
    ErasureIncompleteError, after erasing what it could. Each batch is one transaction with
    one audit record: an interruption leaves whole batches deleted and the rest intact, and
    running it again finishes the work. Targets whose table is absent are skipped.
    """
    deleted: dict[MemoryTarget, int] = {}
    left: dict[MemoryTarget, int] = {}
    for target in targets:
        if not has_table(target):
            continue  # a configured table that was never created holds nobody's memories
        deleted[target], remaining = _erase_from(
            target, user_id, actor, channel, batch_size, max_rounds, on_batch
        )
        if remaining:
            left[target] = remaining
    if left:
        error = ErasureIncompleteError(
            deleted={(t.db_id, t.table): count for t, count in deleted.items()},
            remaining={(t.db_id, t.table): count for t, count in left.items()},
        )
        fields = {"actor": actor, "detail": str(error)}
        logger.error("memory erasure unfinished by %(actor)s: %(detail)s", fields)
        raise error
    return deleted


def _erase_from(
    target: MemoryTarget,
    user_id: str,
    actor: str,
    channel: Channel,
    batch_size: int,
    max_rounds: int,
    on_batch: Callable[[ErasedBatch], None] | None,
) -> tuple[int, int]:
    """Rounds of batches, until a count finds nothing of the user left or the rounds run
    out; how many were deleted, and how many the last count found."""
    deleted = 0
    left = memory_count(target=target, user_id=user_id)
    for _ in range(max_rounds):
        if not left:
            break
        # A round deletes at most what the count before it found: writers adding as fast
        # as it deletes cannot keep a round, nor the erasure, going for ever.
        while left > 0:
            batch = UserBatch(user_id=user_id, size=min(batch_size, left))
            count = delete_selection(
                target=target, selection=batch, actor=actor, channel=channel
            ).count
            if not count:
                break  # what was counted went meanwhile: the next count says what is left
            deleted, left = deleted + count, left - count
            if on_batch is not None:
                on_batch(ErasedBatch(target=target, deleted=count))
        left = memory_count(target=target, user_id=user_id)
    return deleted, left
