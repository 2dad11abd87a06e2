"""Rows for the tests, created on a given database alias and table."""

import itertools
import time
from collections.abc import Iterable
from typing import Any

from django.db import connections

from memories.models import AbstractMemory
from memories.targets import MemoryTarget, all_targets, has_table, memory_model, resolve_target

_sequence = itertools.count(1)


def target(db_id: str = "default", table: str | None = None) -> MemoryTarget:
    return resolve_target(db_id=db_id, table=table)


def model_of(db_id: str, table: str | None = None) -> type[AbstractMemory]:
    chosen = target(db_id, table)
    return memory_model(connections[chosen.alias], chosen.table)


def memory_create(
    db_id: str = "default", table: str | None = None, **fields: Any
) -> AbstractMemory:
    """A memory row in db_id's table, with plausible values for the fields not given."""
    now = int(time.time())
    number = next(_sequence)
    values: dict[str, Any] = {
        "memory_id": f"mem-{number}",
        "memory": f"The user likes topic number {number}.",
        "user_id": "alice",
        "topics": ["preferences"],
        "agent_id": "agent-1",
        "created_at": now,
        "updated_at": now,
    }
    values.update(fields)
    chosen = target(db_id, table)
    return model_of(db_id, table)._default_manager.using(chosen.alias).create(**values)


def memory_ids_in(db_id: str, table: str | None = None) -> set[str]:
    """The ids of every memory left in db_id's table."""
    chosen = target(db_id, table)
    return set(
        model_of(db_id, table)
        ._default_manager.using(chosen.alias)
        .values_list("memory_id", flat=True)
    )


def present_targets(targets: Iterable[MemoryTarget] | None = None) -> list[MemoryTarget]:
    """The targets (every configured one by default) whose table exists."""
    return [
        target for target in (all_targets() if targets is None else targets) if has_table(target)
    ]
