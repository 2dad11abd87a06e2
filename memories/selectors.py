"""Reads: memories, their topics and per-user counts, as the caller may see them."""

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Generic, Literal, TypeVar

from django.db.models import Count, Max, Q, QuerySet, Window

from memories.exceptions import DatabaseFailure, MemoryNotFoundError
from memories.expressions import Equals, ExactText, HasTopic, MemoryText
from memories.models import AbstractMemory
from memories.owners import NOBODY, Owner
from memories.representations import memory_representation
from memories.statement_limits import statement_timeout_of
from memories.statements import LineRow, condition_of
from memories.targets import MemoryTarget, has_table
from memories.transactions import savepoint_if_in_transaction

T = TypeVar("T")

SORT_FIELDS = ("updated_at", "created_at", "memory_id", "user_id")
SortOrder = Literal["asc", "desc"]
# Rows of (memory_id, topics) read per query where topics are read in chunks: few round
# trips, small chunks.
TOPICS_CHUNK = 5000


# The largest OFFSET (and OFFSET + LIMIT) every engine takes, a signed 64-bit integer: a page
# beyond it is past the last of any table, and asking for it would be an error.
LARGEST_OFFSET = 2**63 - 1


@dataclass(frozen=True)
class Page(Generic[T]):
    items: list[T]
    page: int
    limit: int
    total_count: int

    @property
    def total_pages(self) -> int:
        return -(-self.total_count // self.limit)  # integer ceiling: exact for any count


def memory_queryset(*, target: MemoryTarget, user_id: Owner) -> QuerySet[AbstractMemory]:
    """The target's memories owned by user_id (every owner when None, none for NOBODY)."""
    memories = target.model._default_manager.using(target.alias).all()
    if user_id is NOBODY:
        return memories.none()
    if user_id is not None:
        memories = memories.filter(Equals("user_id", user_id))
    return memories


def filter_memories(
    memories: QuerySet[AbstractMemory],
    *,
    agent_id: str | None = None,
    team_id: str | None = None,
    topics: list[str] | None = None,
    search_content: str | None = None,
) -> QuerySet[AbstractMemory]:
    """The memories matching every given filter: exact ids, all the topics, the text."""
    if agent_id is not None:
        memories = memories.filter(Equals("agent_id", agent_id))
    if team_id is not None:
        memories = memories.filter(Equals("team_id", team_id))
    for topic in topics or []:
        memories = memories.filter(HasTopic("topics", topic))
    if search_content:
        memories = memories.alias(text=MemoryText("memory")).filter(text__icontains=search_content)
    return memories


@dataclass(frozen=True)
class MemoryFilter:
    """Which memories a deletion by filter, an erasure or a retention rule takes: those
    matching every given criterion. Times are epoch seconds, compared strictly."""

    user_id: str | None = None
    agent_id: str | None = None
    team_id: str | None = None
    # Every one of these topics.
    topics: tuple[str, ...] = ()
    # Last written (updated_at, or created_at where updated_at is empty) before this time.
    updated_before: int | None = None
    created_before: int | None = None

    @property
    def is_empty(self) -> bool:
        return self == MemoryFilter()


def memory_matching(
    *, target: MemoryTarget, memory_filter: MemoryFilter
) -> QuerySet[AbstractMemory]:
    """The target's memories that memory_filter matches."""
    memories = filter_memories(
        memory_queryset(target=target, user_id=memory_filter.user_id),
        agent_id=memory_filter.agent_id,
        team_id=memory_filter.team_id,
        topics=list(memory_filter.topics),
    )
    if memory_filter.updated_before is not None:
        # Last written before: updated_at, or created_at where it is empty. Two plain
        # comparisons rather than COALESCE, which no index could serve.
        before = memory_filter.updated_before
        memories = memories.filter(
            Q(updated_at__lt=before) | Q(updated_at__isnull=True, created_at__lt=before)
        )
    if memory_filter.created_before is not None:
        memories = memories.filter(created_at__lt=memory_filter.created_before)
    return memories


def memory_search(memories: QuerySet[AbstractMemory], term: str) -> QuerySet[AbstractMemory]:
    """The memories whose text, user_id or memory_id contains term, ignoring case."""
    if not term:
        return memories
    return memories.alias(text=MemoryText("memory")).filter(
        Q(text__icontains=term) | Q(user_id__icontains=term) | Q(memory_id__icontains=term)
    )


def memory_column_values(*, target: MemoryTarget, column: str, limit: int = 100) -> list[str]:
    """The first distinct values of one column (agent_id, team_id), in order; as exactly
    distinct as ownership ('chef' and 'Chef' are two agents on every engine)."""
    values = (
        memory_queryset(target=target, user_id=None)
        .exclude(**{column: None})
        .values_list(column, ExactText(column))
        .order_by(column, ExactText(column))
        .distinct()[:limit]
    )
    return [value for value, _ in values]


def memory_count(*, target: MemoryTarget, memory_filter: MemoryFilter) -> int:
    """How many of the target's memories memory_filter matches."""
    return memory_matching(target=target, memory_filter=memory_filter).count()


def keyset_chunks(
    rows: QuerySet[Any, T], *, key: Callable[[T], str], chunk_size: int
) -> Iterator[list[T]]:
    """The rows (ordered by memory_id) chunk_size at a time, each chunk its own short query
    starting after the last one's memory_id. No server-side cursor, whose next fetch a
    transaction-pooling PgBouncer would send to another server connection, and no
    transaction held open between chunks."""

    def read(after: str | None) -> list[T]:
        chunk = rows if after is None else rows.filter(memory_id__gt=after)
        return list(chunk[:chunk_size])

    return chunks_after(read, key=key, chunk_size=chunk_size)


def chunks_after(
    read: Callable[[str | None], list[T]], *, key: Callable[[T], str], chunk_size: int
) -> Iterator[list[T]]:
    """Keyset chunks: read(after) answers the first chunk_size rows after that memory_id (all
    from the first for None) in memory_id order; each chunk starts after the last one's."""
    after: str | None = None
    while True:
        items = read(after)
        if items:
            yield items
        if len(items) < chunk_size:
            return
        after = key(items[-1])


def memory_id_of(memory: AbstractMemory) -> str:
    return memory.memory_id


def memory_stream(
    *, target: MemoryTarget, user_id: Owner, chunk_size: int = 2000
) -> Iterator[AbstractMemory]:
    """Every memory of user_id (anyone's for None) in memory_id order, read chunk_size at a
    time: memory stays flat however many there are. Each chunk is a short read of its own, so
    a stream whose client reads slowly holds no transaction (nor a pooler's server
    connection) between chunks; a row written or deleted meanwhile is exported as the chunk
    that reaches it finds it, and no row twice."""
    memories = memory_queryset(target=target, user_id=user_id).order_by("memory_id")
    for chunk in keyset_chunks(memories, key=memory_id_of, chunk_size=chunk_size):
        yield from chunk


def memory_lines(*, target: MemoryTarget, user_id: Owner, chunk_size: int = 2000) -> Iterator[str]:
    """Every memory of user_id (anyone's for None) as its export line, the JSON object GET
    /memories/{id} answers, read as memory_stream reads them (memory_id order, a short read
    per chunk, no row twice): written by the database where its engine can write it
    exactly (statements/postgresql_lines.py), rendered by memory_representation otherwise."""
    memories = memory_queryset(target=target, user_id=user_id)
    if memories.query.is_empty():
        return
    lines = target.statements.line_chunks(target)
    if lines is None:
        for memory in memory_stream(target=target, user_id=user_id, chunk_size=chunk_size):
            yield json.dumps(memory_representation(memory))
        return
    model = target.model

    def read(after: str | None) -> list[LineRow]:
        chunk = memories if after is None else memories.filter(memory_id__gt=after)
        return lines.chunk(condition_of(chunk) if chunk.query.where else None, chunk_size)

    for rows in chunks_after(read, key=first_column, chunk_size=chunk_size):
        for row in rows:
            line = row[1]
            if line is None:  # a row the database cannot write as the API renders it
                line = json.dumps(memory_representation(lines.memory_of(model, row)))
            yield line


def first_column(row: LineRow) -> str:
    return str(row[0])


def memory_get(*, target: MemoryTarget, memory_id: str, user_id: Owner) -> AbstractMemory:
    try:
        return memory_queryset(target=target, user_id=user_id).get(Equals("memory_id", memory_id))
    except target.model.DoesNotExist as error:
        raise MemoryNotFoundError() from error


def memory_list(
    *,
    target: MemoryTarget,
    user_id: Owner,
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
    memories = filter_memories(
        memory_queryset(target=target, user_id=user_id),
        agent_id=agent_id,
        team_id=team_id,
        topics=topics,
        search_content=search_content,
    )
    sign = "-" if sort_order == "desc" else ""
    # memory_id breaks ties, so no row appears on two pages or on none.
    ordering = [f"{sign}{sort_by}"] + ([] if sort_by == "memory_id" else [f"{sign}memory_id"])
    total_count = memories.count()
    offset = (page - 1) * limit
    items = (
        list(memories.order_by(*ordering)[offset : offset + limit]) if offset < total_count else []
    )
    return Page(items=items, page=page, limit=limit, total_count=total_count)


def memory_topics(*, target: MemoryTarget, user_id: Owner) -> list[str]:
    """The distinct topics of the visible memories, sorted: the strings in their JSON lists
    of topics (a value that is no list, and an element that is no string, hold none)."""
    memories = memory_queryset(target=target, user_id=user_id).filter(topics__isnull=False)
    if memories.query.is_empty():
        return []
    topics = target.statements.distinct_topics(target, condition_of(memories))
    if topics is None:
        topics = topics_read_in_chunks(memories)
    return sorted(topics)


def topics_read_in_chunks(memories: QuerySet[AbstractMemory]) -> set[str]:
    """The distinct topics of the memories, every row's topics read and decoded here: on an
    engine that cannot unnest JSON in SQL (MariaDB before 10.6), in keyset chunks."""
    rows = memories.order_by("memory_id").values_list("memory_id", "topics")
    topics: set[str] = set()
    for chunk in keyset_chunks(rows, key=lambda row: str(row[0]), chunk_size=TOPICS_CHUNK):
        for _, row_topics in chunk:
            if isinstance(row_topics, list):
                topics.update(topic for topic in row_topics if isinstance(topic, str))
    return topics


def user_memory_stats(
    *, target: MemoryTarget, user_id: Owner, page: int = 1, limit: int = 20
) -> Page[dict[str, Any]]:
    """Memory counts per user, most recently updated first; users are told apart as exactly
    as ownership tells them apart ('x', 'X' and 'x ' are three users on every engine)."""
    users = (
        memory_queryset(target=target, user_id=user_id)
        .exclude(user_id=None)
        .values("user_id", exact_user_id=ExactText("user_id"))
        # COUNT(*), not of memory_id (the key, never NULL): the same number, without reading
        # each row's id (on PostgreSQL half the time of a GROUP BY of every row).
        .annotate(total_memories=Count("*"), last_memory_updated_at=Max("updated_at"))
        .order_by("-last_memory_updated_at", "user_id", "exact_user_id")
    )
    # The number of users comes with the page, counted over the groups by a window (the
    # window runs after GROUP BY): one aggregation of every row where a count of the groups
    # beside the page took two. Only a page past the last has no row to bring it.
    offset = (page - 1) * limit
    rows = (
        list(users.annotate(number_of_users=Window(Count("*")))[offset : offset + limit])
        if offset + limit <= LARGEST_OFFSET
        else []
    )
    total_count = rows[0]["number_of_users"] if rows else users.count()
    items: list[dict[str, Any]] = [
        {
            "user_id": row["user_id"],
            "total_memories": row["total_memories"],
            "last_memory_updated_at": row["last_memory_updated_at"],
        }
        for row in rows
    ]
    return Page(items=items, page=page, limit=limit, total_count=total_count)


@dataclass(frozen=True)
class PlannedDeletion:
    """How many memories a deletion by filter (or an erasure) would delete from one table;
    None when the table is absent, or its database could not be reached (`timed_out`: the
    seconds of the statement limit, when that is what cut its count)."""

    target: MemoryTarget
    count: int | None
    is_reachable: bool = True
    timed_out: float | None = None


def deletion_plan(
    *, targets: list[MemoryTarget], memory_filters: list[MemoryFilter]
) -> list[PlannedDeletion]:
    """Per target, the memories these filters match: what a deletion shows before it runs.
    An erasure's filters are its users'. A database that fails is planned as unreachable,
    beside the others' counts."""
    plan = []
    for target in targets:
        try:
            # A target that fails leaves the next one of its database to be counted.
            with savepoint_if_in_transaction(target.alias):
                if not has_table(target):
                    plan.append(PlannedDeletion(target=target, count=None))
                    continue
                count = sum(memory_count(target=target, memory_filter=f) for f in memory_filters)
        except DatabaseFailure as error:
            cut = statement_timeout_of(error)
            seconds = None if cut is None else cut.seconds
            plan.append(
                PlannedDeletion(target=target, count=None, is_reachable=False, timed_out=seconds)
            )
            continue
        plan.append(PlannedDeletion(target=target, count=count))
    return plan
