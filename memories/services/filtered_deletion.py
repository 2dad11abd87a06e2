"""Deleting every memory that matches a filter, provably completely, in batches: what an
erasure, a deletion by filter and a retention rule each run."""

import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.db import DatabaseError, transaction
from django.db.models import QuerySet

from memories.exceptions import (
    DatabaseFailure,
    DeletionUnfinishedError,
    FilterRequiredError,
    database_reason,
)
from memories.models import AbstractMemory, Channel
from memories.selectors import MemoryFilter, memory_matching
from memories.services.deletion import delete_selection
from memories.statement_limits import statement_timeout_of
from memories.statements import BATCH_SIZES, FilterBatch, condition_of
from memories.summaries import summaries_forget
from memories.targets import MemoryTarget, has_table
from memories.transactions import savepoint_if_in_transaction
from memories.wording import in_english

logger = logging.getLogger("memories.deletions")

# Memories per batch by database vendor, where the caller names no batch size.
DEFAULT_BATCH_SIZES = BATCH_SIZES
# Attempts of a batch that the database rolls back for a conflict with a writer (a deadlock).
BATCH_ATTEMPTS = 3
# Rounds of batches (each ended by a count) that find at least as many matching memories
# as they began with, before a deletion that writers keep refilling gives up and says so.
DELETION_MAX_ROUNDS = 10


@dataclass(frozen=True)
class DeletedBatch:
    """Progress of a deletion by filter (an erasure's too): one committed batch."""

    target: MemoryTarget
    deleted: int


ProgressCallback = Callable[[DeletedBatch], None]


def memories_delete_matching(
    *,
    memory_filter: MemoryFilter,
    targets: Sequence[MemoryTarget],
    actor: str,
    channel: Channel,
    batch_size: int | None = None,
    max_rounds: int = DELETION_MAX_ROUNDS,
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
    the filter meanwhile are kept); otherwise it raises DeletionUnfinishedError, after
    deleting what it could; a target whose database fails is reported there as unreachable
    (None), after the other targets were done. Each batch is one transaction with one audit
    record: an interruption leaves whole batches deleted and the rest intact, and running it
    again finishes the work. Targets whose table is absent are skipped.
    """
    if memory_filter.is_empty:
        raise FilterRequiredError()
    selections = [
        (target, memory_matching(target=target, memory_filter=memory_filter)) for target in targets
    ]
    options = _Options(actor, channel, batch_size, max_rounds, on_batch, memory_filter.user_id)
    return _delete_selections(selections, options, counted or {})


def memories_delete_listed(
    *,
    target: MemoryTarget,
    memories: "QuerySet[AbstractMemory]",
    actor: str,
    channel: Channel,
    batch_size: int | None = None,
    max_rounds: int = DELETION_MAX_ROUNDS,
) -> int:
    """Delete every memory of `memories`, a filtered queryset of the target's (the rows an
    admin list shows, whatever lookups built it), with the guarantees of
    memories_delete_matching; how many were deleted. Its WHERE clause is the deletion's."""
    if not memories.query.where:
        raise FilterRequiredError()
    options = _Options(actor, channel, batch_size, max_rounds, None, None)
    return _delete_selections([(target, memories)], options, {}).get(target, 0)


@dataclass(frozen=True)
class _Options:
    """How a deletion runs, and for whom: the same for each of its targets."""

    actor: str
    channel: Channel
    batch_size: int | None
    max_rounds: int
    on_batch: ProgressCallback | None
    # The one owner of every row the selections match (an erasure), else None.
    owner: str | None


def _delete_selections(
    selections: Sequence[tuple[MemoryTarget, "QuerySet[Any]"]],
    options: _Options,
    counted: Mapping[MemoryTarget, int],
) -> dict[MemoryTarget, int]:
    """Delete each target's selected memories, target after target; see
    memories_delete_matching."""
    deleted: dict[MemoryTarget, int] = {}
    left: dict[MemoryTarget, int | None] = {}
    timed_out: dict[MemoryTarget, float] = {}
    for target, memories in selections:
        try:
            with savepoint_if_in_transaction(target.alias):
                if not has_table(target):
                    continue  # a configured table that was never created holds no memories
            deleted[target] = 0
            remaining = _delete_from(target, memories, options, deleted, counted.get(target))
        except DatabaseFailure as failure:
            # A database that fails stops its own table, not the others: what it deleted
            # stays deleted and audited, and the error names it. One line: the driver's
            # reason says what an operator needs (connection refused, no such database).
            reason = database_reason(failure)
            logger.error("memory deletion failed on %s/%s: %s", target.db_id, target.table, reason)
            left[target] = None
            cut = statement_timeout_of(failure)
            if cut is not None:
                timed_out[target] = cut.seconds
            continue
        finally:
            if deleted.get(target):
                # Its topics and users' statistics kept in the cache may name what is gone.
                transaction.on_commit(partial(summaries_forget, target=target), using=target.alias)
        if remaining:
            left[target] = remaining
    if left:
        error = DeletionUnfinishedError(
            deleted={(t.db_id, t.table): count for t, count in deleted.items()},
            remaining={(t.db_id, t.table): count for t, count in left.items()},
            timed_out={(t.db_id, t.table): seconds for t, seconds in timed_out.items()},
        )
        detail = in_english(error)
        fields = {"actor": options.actor, "channel": str(options.channel), "detail": detail}
        logger.error("memory deletion unfinished (%(channel)s, %(actor)s): %(detail)s", fields)
        raise error
    return deleted


def _delete_batch(target: MemoryTarget, batch: FilterBatch, actor: str, channel: Channel) -> int:
    """Delete one batch; run it again (a few times) when the database rolled it back for a
    conflict with a writer, as a deadlock victim: nothing of it was deleted or recorded."""
    for attempt in range(1, BATCH_ATTEMPTS + 1):
        try:
            return delete_selection(
                target=target, selection=batch, actor=actor, channel=channel
            ).count
        except DatabaseError as error:
            if attempt == BATCH_ATTEMPTS or not target.statements.is_transient(error):
                raise
    raise AssertionError("unreachable")


def _delete_from(
    target: MemoryTarget,
    memories: "QuerySet[Any]",
    options: _Options,
    deleted: dict[MemoryTarget, int],
    first: int | None,
) -> int:
    """Rounds of batches, until a count finds nothing matching left, or max_rounds rounds
    have ended with at least as many matching as they began with (writers add as fast as
    the batches delete); how many the last count found. `deleted[target]` counts each
    committed batch as it goes, so it is exact even when a database fails midway."""
    condition = condition_of(memories)
    batch_size = options.batch_size
    if batch_size is None:
        batch_size = target.statements.batch_size
    left = _count(target, memories) if first is None else first
    stalled, rounds = 0, 0
    while left and stalled < options.max_rounds:
        # A round deletes at most what the count before it found: writers adding as fast
        # as it deletes cannot keep a round going for ever.
        budget = left
        while budget > 0:
            batch = FilterBatch(
                condition=condition,
                size=min(batch_size, budget),
                user_id=options.owner,
                # The first round may skip rows that writers update under it (the engine's
                # fastest choice); the rounds after it take them, and skip none.
                may_skip_updated=rounds == 0,
            )
            count = _delete_batch(target, batch, options.actor, options.channel)
            if not count:
                # What the batch chose was deleted, or updated out of the filter, meanwhile:
                # the count says what is left.
                break
            deleted[target] += count
            budget -= count
            if options.on_batch is not None:
                options.on_batch(DeletedBatch(target=target, deleted=count))
        before, left = left, _count(target, memories)
        rounds += 1
        if left >= before:
            stalled += 1
    return left


def _count(target: MemoryTarget, memories: "QuerySet[Any]") -> int:
    # .all(): a fresh count each time, never a result the queryset has cached. A count that
    # fails ends its table only, the next table of its database goes on (a savepoint).
    with savepoint_if_in_transaction(target.alias):
        return memories.all().count()
