"""Creating and updating memories, as Agno writes them."""

import time
import uuid
from typing import Any

from memories.exceptions import DatabaseFailure, MemoryNotFoundError
from memories.expressions import Equals
from memories.models import AbstractMemory
from memories.owners import Owner
from memories.selectors import memory_get, memory_queryset
from memories.targets import MemoryTarget, require_table
from memories.transactions import read_committed


def _now() -> int:
    return int(time.time())


def memory_create(
    *,
    target: MemoryTarget,
    memory: str,
    user_id: str | None,
    topics: list[str] | None = None,
    agent_id: str | None = None,
    team_id: str | None = None,
) -> AbstractMemory:
    """Store a new memory, as Agno would: its text as a JSON string, epoch timestamps."""
    now = _now()
    try:
        # A savepoint inside a caller's transaction: a failed insert leaves it usable, so the
        # table check below can run.
        with read_committed(target.alias):
            return target.model._default_manager.using(target.alias).create(
                memory_id=str(uuid.uuid4()),
                memory=memory,
                user_id=user_id,
                topics=topics,
                agent_id=agent_id,
                team_id=team_id,
                created_at=now,
                updated_at=now,
            )
    except DatabaseFailure:
        require_table(target)
        raise


def memory_update(
    *, target: MemoryTarget, memory_id: str, user_id: Owner, changes: dict[str, Any]
) -> AbstractMemory:
    """Change the given fields of one memory (never its owner); 404 when it is not there."""
    allowed = {"memory", "topics", "agent_id", "team_id"}
    fields = {key: value for key, value in changes.items() if key in allowed}
    try:
        with read_committed(target.alias):
            updated = (
                memory_queryset(target=target, user_id=user_id)
                .filter(Equals("memory_id", memory_id))
                .update(**fields, updated_at=_now())
            )
            if not updated:
                raise MemoryNotFoundError()
            return memory_get(target=target, memory_id=memory_id, user_id=user_id)
    except DatabaseFailure:
        require_table(target)
        raise
