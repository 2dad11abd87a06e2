"""What a whole table holds (its topics, its agents and teams), read at most once per
MEMORIES["AGGREGATE_CACHE_SECONDS"] per table from Django's default cache.

Each is a read of every row: seconds on a table of millions, for a list that rarely changes.
A value is kept with the time its read began and served until that time plus the bound, so a
memory written since shows at most that late, in every process sharing the cache. A cache
that fails (down, stalled past its client's timeout) means a read, never an error.
"""

import hashlib
import logging
import math
import time
from collections.abc import Callable

from django.core.cache import cache

from memories.conf import memories_settings
from memories.owners import Owner
from memories.selectors import memory_column_values, memory_topics
from memories.targets import MemoryTarget

logger = logging.getLogger(__name__)


def visible_topics(*, target: MemoryTarget, user_id: Owner) -> list[str]:
    """memory_topics(), from the cache for an administrator's whole table; an owner's own
    topics are read every time (their rows are found by the user_id index)."""
    if user_id is not None:
        return memory_topics(target=target, user_id=user_id)
    return _summary(target, "topics", lambda: memory_topics(target=target, user_id=None))


def column_values(*, target: MemoryTarget, column: str) -> list[str]:
    """memory_column_values() of the whole table, from the cache."""
    return _summary(target, column, lambda: memory_column_values(target=target, column=column))


def _summary(target: MemoryTarget, name: str, read: Callable[[], list[str]]) -> list[str]:
    seconds: float = memories_settings.AGGREGATE_CACHE_SECONDS
    if not seconds:
        return read()
    # Hashed: db_ids and table names may hold what a memcached key may not (spaces...).
    where = hashlib.sha256(f"{target.db_id}\0{target.table}\0{name}".encode()).hexdigest()
    key = f"memories:summary:{where}"
    started = time.time()
    try:
        kept = cache.get(key)
    except Exception as error:  # any client's failure: read the table instead
        logger.warning("summary cache unavailable (%s): reading the table", type(error).__name__)
        kept = None
    if kept is not None and 0 <= started - kept[0] < seconds:
        return list(kept[1])
    value = read()
    try:
        cache.set(key, (started, value), timeout=math.ceil(seconds))
    except Exception as error:  # kept next time, when the cache answers again
        logger.warning("summary cache unavailable (%s): not kept", type(error).__name__)
    return value
