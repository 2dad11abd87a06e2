"""What a whole table holds (its topics, its agents and teams, its users' counts), kept per
table in Django's default cache and refreshed in the background.

Each is a read of every row: a second or more on a table of millions, for a list that rarely
changes. A value is kept with the time its read began. For S = MEMORIES
["AGGREGATE_CACHE_SECONDS"] from then it is served as it is; for S more it is still served,
while one request, the first to find it that old, starts a refresh in a thread of its process
(one per value at a time across every process sharing the cache: a lock taken with
`cache.add`), which reads without PostgreSQL's parallel workers (background_reads); older
than 2 x S it is never served, and a request finding no value it may serve reads the table
itself. So no request waits for a read while a value it may serve exists, and whatever is
served was read at most 2 x S ago: a memory written shows at most that late. A cache that
fails (down, stalled past its client's timeout) means a read, never an error.

Every key holds its table's generation, which an erasure or a deletion by filter renews once
its rows are deleted (summaries_forget): the values kept before it are never found again, so
an erased user is listed by no summary from then on. A single delete renews nothing (one
cache round trip more per DELETE): its row shows at most 2 x S late, as a written one does.
"""

import hashlib
import logging
import math
import threading
import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import connections

from memories.background_reads import without_parallel_workers
from memories.conf import memories_settings
from memories.owners import Owner
from memories.selectors import Page, memory_column_values, memory_topics, user_memory_stats
from memories.statement_limits import statement_time_limit
from memories.targets import MemoryTarget

logger = logging.getLogger(__name__)

T = TypeVar("T")

# The refreshes running in this process, so that a caller (a test) can wait for them.
_refreshing: set[threading.Thread] = set()


def visible_topics(*, target: MemoryTarget, user_id: Owner) -> list[str]:
    """memory_topics(), from the cache for an administrator's whole table; an owner's own
    topics are read every time (their rows are found by the user_id index)."""
    if user_id is not None:
        return memory_topics(target=target, user_id=user_id)
    return list(_summary(target, "topics", lambda: memory_topics(target=target, user_id=None)))


def column_values(*, target: MemoryTarget, column: str) -> list[str]:
    """memory_column_values() of the whole table, from the cache."""
    return list(
        _summary(target, column, lambda: memory_column_values(target=target, column=column))
    )


def visible_user_stats(
    *, target: MemoryTarget, user_id: Owner, page: int, limit: int
) -> Page[dict[str, Any]]:
    """user_memory_stats(), from the cache (per page and limit) for an administrator's whole
    table; one owner's statistics are read every time (the user_id index finds them)."""
    if user_id is not None:
        return user_memory_stats(target=target, user_id=user_id, page=page, limit=limit)
    return _summary(
        target,
        f"user_stats:{page}:{limit}",
        lambda: user_memory_stats(target=target, user_id=None, page=page, limit=limit),
    )


def summary_key(target: MemoryTarget, name: str) -> str:
    """The cache key of one summary of a table in its current generation (read from the cache,
    which may fail); its refresh's lock is the key + ":refreshing"."""
    generation = _generation(target)
    # Hashed: db_ids and table names may hold what a memcached key may not (spaces...).
    where = hashlib.sha256(
        f"{target.db_id}\0{target.table}\0{generation}\0{name}".encode()
    ).hexdigest()
    return f"memories:summary:{where}"


def summaries_forget(*, target: MemoryTarget) -> None:
    """Renew the table's generation: no summary kept before is served again. Called once
    rows deleted from it are committed (an erasure, a deletion by filter)."""
    if not memories_settings.AGGREGATE_CACHE_SECONDS:
        return  # nothing is kept
    try:
        cache.set(_generation_key(target), uuid.uuid4().hex, timeout=None)
    except Exception as error:  # the deletion stands; the kept values expire on their own
        logger.warning(
            "summary cache unavailable (%s): summaries of %s/%s kept until they expire",
            type(error).__name__,
            target.db_id,
            target.table,
        )


def _generation_key(target: MemoryTarget) -> str:
    where = hashlib.sha256(f"{target.db_id}\0{target.table}".encode()).hexdigest()
    return f"memories:summary-generation:{where}"


def _generation(target: MemoryTarget) -> str:
    key = _generation_key(target)
    generation = cache.get(key)
    if generation is None:
        # None yet, or evicted: a new one, never an old one again, so that a value kept before
        # an erasure cannot be found once the erasure's generation is gone.
        new = uuid.uuid4().hex
        generation = new if cache.add(key, new, timeout=None) else cache.get(key, new)
    return str(generation)


def refreshes_running() -> int:
    """How many refreshes this process is running."""
    return sum(thread.is_alive() for thread in list(_refreshing))


def wait_for_refreshes(timeout: float) -> None:
    """Wait (up to timeout seconds each) for the refreshes this process is running."""
    for thread in list(_refreshing):
        thread.join(timeout)


def _summary(target: MemoryTarget, name: str, read: Callable[[], T]) -> T:
    seconds: float = memories_settings.AGGREGATE_CACHE_SECONDS
    if not seconds:
        return read()
    started = time.time()
    try:
        # The generation is read before the table: a value read before an erasure's commit
        # is kept under the generation the erasure then renews.
        key = summary_key(target, name)
        kept = cache.get(key)
    except Exception as error:  # any client's failure: read the table instead
        logger.warning("summary cache unavailable (%s): reading the table", type(error).__name__)
        return read()
    if kept is not None:
        read_at, value = kept
        age = started - read_at
        if 0 <= age < seconds:
            return value  # type: ignore[no-any-return]
        if 0 <= age < 2 * seconds:
            _refresh_in_background(key, target.alias, read, seconds, seen=read_at)
            return value  # type: ignore[no-any-return]
    value = read()
    _keep(key, started, value, seconds)
    return value


def _keep(key: str, read_at: float, value: Any, seconds: float) -> None:
    try:
        # Kept while it may be served; older, _summary refuses it anyway.
        cache.set(key, (read_at, value), timeout=math.ceil(2 * seconds))
    except Exception as error:  # kept next time, when the cache answers again
        logger.warning("summary cache unavailable (%s): not kept", type(error).__name__)


def _refresh_in_background(
    key: str, alias: str, read: Callable[[], Any], seconds: float, *, seen: float
) -> None:
    """Start a refresh of the value at key (read at `seen`), unless one is running in any
    process or has ended since."""
    lock, owner = f"{key}:refreshing", uuid.uuid4().hex
    try:
        # Held for S at most: a refresh whose process died holds it no longer.
        if not cache.add(lock, owner, timeout=math.ceil(seconds)):
            return
        kept = cache.get(key)
        if kept is not None and kept[0] != seen:
            # A refresh ended between this request's read and its lock: the value is new.
            cache.delete(lock)
            return
    except Exception as error:  # served as it is; the next request tries again
        logger.warning("summary cache unavailable (%s): not refreshed", type(error).__name__)
        return
    thread = threading.Thread(
        target=_refresh, args=(key, alias, lock, owner, read, seconds), name="memories-summary"
    )
    thread.daemon = True  # a process that ends does not wait for it
    _refreshing.add(thread)
    thread.start()


def _refresh(
    key: str, alias: str, lock: str, owner: str, read: Callable[[], Any], seconds: float
) -> None:
    started = time.time()
    try:
        # On one core: the requests served meanwhile need the others (background_reads).
        with statement_time_limit(), without_parallel_workers(alias):
            value = read()
        _keep(key, started, value, seconds)
        logger.info("summary refreshed in %.3f s", time.time() - started)
    except Exception as error:  # the stale value stays; the next request past S tries again
        logger.warning(
            "summary refresh failed (%s: %s)", type(error).__name__, error, exc_info=True
        )
    finally:
        try:
            if cache.get(lock) == owner:
                cache.delete(lock)
        except Exception:  # the lock expires on its own
            pass
        # Forgotten first: a close that raises must not leave the thread counted as running.
        _refreshing.discard(threading.current_thread())
        connections.close_all()  # this thread's own connections
