"""Reads: memories, their topics and per-user counts, as the caller may see them."""

import math
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from django.db.models import Count, Max, QuerySet

from memories.exceptions import MemoryNotFoundError
from memories.expressions import Equals, HasTopic, MemoryText
from memories.models import AbstractMemory
from memories.targets import MemoryTarget, table_exists

T = TypeVar("T")

SORT_FIELDS = ("updated_at", "created_at", "memory_id", "user_id")
SortOrder = Literal["asc", "desc"]


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    limit: int
    total_count: int

    @property
    def total_pages(self) -> int:
        return math.ceil(self.total_count / self.limit)


def memory_queryset(*, target: MemoryTarget, user_id: str | None) -> QuerySet[AbstractMemory]:
    """The target's memories owned by user_id (every owner when None)."""
    memories = target.model._default_manager.using(target.alias).all()
    if user_id is not None:
        memories = memories.filter(Equals("user_id", user_id))
    return memories


def memory_get(*, target: MemoryTarget, memory_id: str, user_id: str | None) -> AbstractMemory:
    try:
        return memory_queryset(target=target, user_id=user_id).get(Equals("memory_id", memory_id))
    except target.model.DoesNotExist as error:
        raise MemoryNotFoundError() from error


def memory_list(
    *,
    target: MemoryTarget,
    user_id: str | None,
    agent_id: str | None = None,
    team_id: str | None = None,
    topics: list[str] | None = None,
    search_content: str | None = None,
    sort_by: str = "updated_at",
    sort_order: SortOrder = "desc",
    page: int = 1,
    limit: int = 20,
) -> Page[AbstractMemory]:
    """One page of the memories matching every given filter, in a stable order."""
    memories = memory_queryset(target=target, user_id=user_id)
    if agent_id is not None:
        memories = memories.filter(Equals("agent_id", agent_id))
    if team_id is not None:
        memories = memories.filter(Equals("team_id", team_id))
    for topic in topics or []:
        memories = memories.filter(HasTopic("topics", topic))
    if search_content:
        memories = memories.alias(text=MemoryText("memory")).filter(text__icontains=search_content)
    sign = "-" if sort_order == "desc" else ""
    # memory_id breaks ties, so no row appears on two pages or on none.
    ordering = [f"{sign}{sort_by}"] + ([] if sort_by == "memory_id" else [f"{sign}memory_id"])
    total_count = memories.count()
    offset = (page - 1) * limit
    items = (
        list(memories.order_by(*ordering)[offset : offset + limit]) if offset < total_count else []
    )
    return Page(items=items, page=page, limit=limit, total_count=total_count)


def memory_topics(*, target: MemoryTarget, user_id: str | None) -> list[str]:
    """The distinct topics of the visible memories, sorted."""
    memories = memory_queryset(target=target, user_id=user_id).exclude(topics=None)
    topics: set[str] = set()
    for row_topics in memories.values_list("topics", flat=True).iterator(chunk_size=2000):
        if isinstance(row_topics, list):
            topics.update(topic for topic in row_topics if isinstance(topic, str))
    return sorted(topics)


def user_memory_stats(
    *, target: MemoryTarget, user_id: str | None, page: int = 1, limit: int = 20
) -> Page[dict[str, Any]]:
    """Memory counts per user, most recently updated first."""
    users = (
        memory_queryset(target=target, user_id=user_id)
        .exclude(user_id=None)
        .values("user_id")
        .annotate(total_memories=Count("memory_id"), last_memory_updated_at=Max("updated_at"))
        .order_by("-last_memory_updated_at", "user_id")
    )
    total_count = users.count()
    offset = (page - 1) * limit
    items = [dict(row) for row in users[offset : offset + limit]] if offset < total_count else []
    return Page(items=items, page=page, limit=limit, total_count=total_count)


@dataclass(frozen=True)
class TargetCount:
    """How many memories of a user one table holds; None when the table is absent."""

    target: MemoryTarget
    count: int | None


def user_memory_counts(*, targets: list[MemoryTarget], user_id: str) -> list[TargetCount]:
    """The memories of user_id in each target: what an erasure would delete."""
    counts = []
    for target in targets:
        if not table_exists(target):
            counts.append(TargetCount(target=target, count=None))
            continue
        counts.append(
            TargetCount(
                target=target, count=memory_queryset(target=target, user_id=user_id).count()
            )
        )
    return counts
