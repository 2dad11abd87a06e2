"""Erasure: every memory of one user deleted, everywhere (the right to be forgotten)."""

from collections.abc import Sequence

from memories.models import Channel
from memories.selectors import MemoryFilter
from memories.services.filtered_deletion import (
    DELETION_MAX_ROUNDS,
    ProgressCallback,
    memories_delete_matching,
)
from memories.targets import MemoryTarget


def user_memories_erase(
    *,
    user_id: str,
    targets: Sequence[MemoryTarget],
    actor: str,
    channel: Channel,
    batch_size: int | None = None,
    max_rounds: int = DELETION_MAX_ROUNDS,
    on_batch: ProgressCallback | None = None,
) -> dict[MemoryTarget, int]:
    """Delete every memory of user_id in targets (see memories_delete_matching)."""
    return memories_delete_matching(
        memory_filter=MemoryFilter(user_id=user_id),
        targets=targets,
        actor=actor,
        channel=channel,
        batch_size=batch_size,
        max_rounds=max_rounds,
        on_batch=on_batch,
    )
