"""Deleting every memory that matches a filter, provably completely: erasures (every memory
of one user, the right to be forgotten), deletions by filter and retention rules."""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from django.db import DatabaseError

from memories.exceptions import ErasureIncompleteError, FilterRequiredError, database_reason
from memories.models import Channel
from memories.selectors import MemoryFilter, memory_count, memory_matching
from memories.services.deletion import delete_selection
from memories.statements import FilterBatch, Statements, condition_of, statements_for
from memories.targets import MemoryTarget, has_table

logger = logging.getLogger("memories.deletions")

# Memories per batch where the engine's statements name no size of their own (see
# Statements.batch_size): each batch is one statement, one transaction, one audit record.
ERASE_BATCH_SIZE = Statements.batch_size
# Attempts of a batch that the database rolls back for a conflict with a writer (a deadlock).
BATCH_ATTEMPTS = 3
# Rounds of batches (each ended by a count) that find at least as many matching memories
# as they began with, before a deletion that writers keep refilling gives up and says so.
ERASE_MAX_ROUNDS = 10


@dataclass(frozen=True)
class ErasedBatch:
    """Progress of an erasure or a deletion by filter: one committed batch."""

    target: MemoryTarget
    deleted: int


ProgressCallback = Callable[[ErasedBatch], None]


def memories_delete_matching(
    *,
    memory_filter: MemoryFilter,
    targets: Sequence[MemoryTarget],
    actor: str,
    channel: Channel,
    batch_size: int | None = None,
    max_rounds: int = ERASE_MAX_ROUNDS,
    on_batch: ProgressCallback | None = None,
    counted: Mapping[MemoryTarget, int] | None = None,
) -> dict[MemoryTarget, int]:
    """Delete every memory matching memory_filter in targets; the count deleted per target.

    Batches hold `batch_size` memories at most, by default the size the target's engine
    deletes most cheaply in (Statements.batch_size).

    `counted` may give counts the caller has just taken (its plan): they bound the first
    round instead of a count of its own. Only the final count decides that nothing is left.

    It ends only when a count after the last batch finds no matching memory left in each
    target, so memories written while it runs are deleted too (and memories updated out of
    the filter meanwhile are kept); otherwise it raises ErasureIncompleteError, after
    deleting what it could; a target whose database fails is reported there as unreachable
    (None), after the other targets were done. Each batch is one transaction with one audit
    record: an interruption leaves whole batches deleted and the rest intact, and running it
    again finishes the work. Targets whose table is absent are skipped.
    """
    if memory_filter.is_empty:
        raise FilterRequiredError()
    deleted: dict[MemoryTarget, int] = {}
    left: dict[MemoryTarget, int | None] = {}
    for target in targets:
        try:
            if not has_table(target):
                continue  # a configured table that was never created holds no memories
            deleted[target] = 0
            first = (counted or {}).get(target)
            remaining = _delete_from(
                target,
                memory_filter,
                actor,
                channel,
                batch_size,
                max_rounds,
                on_batch,
                deleted,
                first,
            )
        except DatabaseError as failure:
            # A database that fails stops its own table, not the others: what it deleted
            # stays deleted and audited, and the error names it. One line: the driver's
            # reason says what an operator needs (connection refused, no such database).
            reason = database_reason(failure)
            logger.error("memory deletion failed on %s/%s: %s", target.db_id, target.table, reason)
            left[target] = None
            continue
        if remaining:
            left[target] = remaining
    if left:
        error = ErasureIncompleteError(
            deleted={(t.db_id, t.table): count for t, count in deleted.items()},
            remaining={(t.db_id, t.table): count for t, count in left.items()},
        )
        fields = {"actor": actor, "channel": str(channel), "detail": str(error)}
        logger.error("memory deletion unfinished (%(channel)s, %(actor)s): %(detail)s", fields)
        raise error
    return deleted


def user_memories_erase(
    *,
    user_id: str,
    targets: Sequence[MemoryTarget],
    actor: str,
    channel: Channel,
    batch_size: int | None = None,
    max_rounds: int = ERASE_MAX_ROUNDS,
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


def _delete_batch(target: MemoryTarget, batch: FilterBatch, actor: str, channel: Channel) -> int:
    """Delete one batch; run it again (a few times) when the database rolled it back for a
    conflict with a writer, as a deadlock victim: nothing of it was deleted or recorded."""
    statements = statements_for(target.alias)
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            return delete_selection(
                target=target, selection=batch, actor=actor, channel=channel
            ).count
        except DatabaseError as error:
            if attempt == BATCH_ATTEMPTS or not statements.is_transient(error):
                raise
    raise AssertionError("unreachable")


def _delete_from(
    target: MemoryTarget,
    memory_filter: MemoryFilter,
    actor: str,
    channel: Channel,
    batch_size: int | None,
    max_rounds: int,
    on_batch: ProgressCallback | None,
    deleted: dict[MemoryTarget, int],
    first: int | None,
) -> int:
    """Rounds of batches, until a count finds nothing matching left, or max_rounds rounds
    have ended with at least as many matching as they began with (writers add as fast as
    the batches delete); how many the last count found. `deleted[target]` counts each
    committed batch as it goes, so it is exact even when a database fails midway."""
    condition = condition_of(memory_matching(target=target, memory_filter=memory_filter))
    if batch_size is None:
        batch_size = statements_for(target.alias).batch_size
    left = memory_count(target=target, memory_filter=memory_filter) if first is None else first
    stalled = 0
    while left and stalled < max_rounds:
        # A round deletes at most what the count before it found: writers adding as fast
        # as it deletes cannot keep a round going for ever.
        budget = left
        while budget > 0:
            batch = FilterBatch(
                condition=condition, size=min(batch_size, budget), user_id=memory_filter.user_id
            )
            count = _delete_batch(target, batch, actor, channel)
            if not count:
                # What the batch chose was deleted, or updated out of the filter, meanwhile:
                # the count says what is left.
                break
            deleted[target] += count
            budget -= count
            if on_batch is not None:
                on_batch(ErasedBatch(target=target, deleted=count))
        before, left = left, memory_count(target=target, memory_filter=memory_filter)
        if left >= before:
            stalled += 1
    return left
