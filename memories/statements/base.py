"""What every engine's statements share: selections, the deleted rows, the SQL shape, the
rows of an export's lines."""

import datetime
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple, Protocol

from django.db import DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models import QuerySet

from memories.audit import AuditEntry
from memories.models import AbstractMemory

# A query parameter.
Param = str | int | datetime.datetime | None


class Table(Protocol):
    """What a statement needs of its target (memories.targets.MemoryTarget)."""

    @property
    def quoted_table(self) -> str: ...


class Clause(NamedTuple):
    """A fragment of SQL and its parameters."""

    sql: str
    params: list[Param]


class DeletedMemory(NamedTuple):
    """One deleted memory: its id and its owner."""

    memory_id: str
    user_id: str | None


@dataclass(frozen=True)
class IdSelection:
    """These memories, each id once; only those user_id owns when it is given."""

    memory_ids: tuple[str, ...]
    user_id: str | None


@dataclass(frozen=True)
class FilterBatch:
    """Up to `size` memories matching `condition`, whichever the database finds first.

    `condition` is a WHERE clause over the target's table (as the ORM writes it, columns
    qualified by the table's name); `user_id` names the owner when the condition keeps to
    one owner's memories (an erasure), so that the audit record need not collect owners.
    `may_skip_updated` lets the engine choose the rows its fastest way even if that skips a
    row a writer updates meanwhile (PostgreSQL's physical addresses): only for a first
    pass, whose skipped rows later batches, which skip none, take.
    """

    condition: Clause
    size: int
    user_id: str | None = None
    may_skip_updated: bool = False


Selection = IdSelection | FilterBatch


@dataclass(frozen=True)
class Deletion:
    """What one deletion did: how many rows it deleted, the rows themselves when they were
    asked for, and the id of its audit record when one was written."""

    count: int
    rows: tuple[DeletedMemory, ...] = ()
    record_id: int | None = None


# A row of an export's chunk written by the database: memory_id, its line (None for a row
# the database cannot write), then the columns of such a row (None for the others).
LineRow = tuple[Any, ...]


class LineChunks(Protocol):
    """A table's memories as export lines written by its database, one statement per chunk
    (statements/postgresql_lines.py)."""

    def chunk(self, condition: Clause | None, size: int) -> list[LineRow]:
        """The first `size` rows matching `condition` (every row for None), in memory_id
        order."""
        ...

    def memory_of(self, model: type[AbstractMemory], row: LineRow) -> AbstractMemory:
        """The memory of a row without a line, read from its columns."""
        ...


def condition_of(queryset: QuerySet[Any]) -> Clause:
    """The WHERE clause of a queryset's filters, as its database writes it: the ORM's
    per-engine expressions (exact owners on MySQL, JSON topics...) serve the DELETEs too."""
    query = queryset.query
    sql, params = query.get_compiler(using=queryset.db).compile(query.where)
    if not sql:
        raise ValueError("A filtered deletion needs at least one condition")
    return Clause(sql, list(params))


class Statements:
    """The DELETE statements of one engine, its read of a table's distinct topics and, where
    it writes them, an export's lines; subclasses write what differs."""

    # Whether `DELETE ... RETURNING` answers with the deleted rows.
    can_return_rows = True
    # Whether one statement can delete and insert the audit record (delete_and_record).
    can_record_in_statement = False
    # Memories per batch of an erasure or deletion by filter, unless the caller names a
    # size: a batch is one transaction (holding its rows' locks, on SQLite the database's
    # write lock) and one audit record. On SQLite and MySQL larger batches erase no faster.
    batch_size = 5000

    def __init__(self, alias: str) -> None:
        self.alias = alias

    @property
    def connection(self) -> BaseDatabaseWrapper:
        # Looked up on each use: a connection belongs to one thread, the statements do not.
        return connections[self.alias]

    def topics_query(self, target: Table, condition: Clause) -> Clause | None:
        """One SELECT answering each distinct topic (a string in a JSON list of topics) of
        the rows matching `condition`, once and exactly (as Python compares strings), in
        any order; None where the engine has no way to unnest JSON in SQL."""
        return None

    def distinct_topics(self, target: Table, condition: Clause) -> set[str] | None:
        """The distinct topics of the rows matching `condition`, read by the database in
        one statement (a few rows answered, however many it reads); None where the engine
        cannot (the caller reads the rows' topics instead)."""
        query = self.topics_query(target, condition)
        if query is None:
            return None
        with self.connection.cursor() as cursor:
            cursor.execute(*query)
            return {self.topic_of(value) for (value,) in cursor.fetchall()}

    def topic_of(self, value: Any) -> str:
        """A topic as topics_query answers it."""
        return str(value)

    def line_chunks(self, target: Table) -> LineChunks | None:
        """The target's memories as export lines written by the database, a chunk per
        statement; None where the engine writes none (the caller renders each row)."""
        return None

    def is_transient(self, error: DatabaseError) -> bool:
        """Whether a failed statement was rolled back for a conflict with another
        transaction (a deadlock, a lock wait, a serialization failure): worth running again."""
        return False

    def quote(self, name: str) -> str:
        return str(self.connection.ops.quote_name(name))

    def exact_match(self, column: str, values: Sequence[str]) -> Clause:
        """`column` equal to one of `values`, exactly as Python compares strings."""
        placeholders = ", ".join(["%s"] * len(values))
        return Clause(f"{self.quote(column)} IN ({placeholders})", list(values))

    def owner_check(self, user_id: str) -> Clause:
        """The owner test of a DELETE whose rows are found by id."""
        return self.exact_match("user_id", [user_id])

    def ids_clause(self, memory_ids: Sequence[str]) -> Clause:
        return self.exact_match("memory_id", memory_ids)

    def batch_clause(self, target: Table, batch: FilterBatch) -> Clause:
        """The WHERE clause of the next batch: its rows are chosen by id (never by physical
        address, which a concurrent update changes), and the condition is checked again on
        the row being deleted, so a row updated meanwhile out of the filter stays, and a row
        updated meanwhile within it is deleted."""
        condition = batch.condition
        # Any `size` matching rows: no ORDER BY, so no sort of all of them per batch.
        chosen = f"SELECT memory_id FROM {target.quoted_table} WHERE {condition.sql} LIMIT %s"
        return Clause(
            f"memory_id IN ({chosen}) AND {condition.sql}",
            [*condition.params, batch.size, *condition.params],
        )

    def where(self, target: Table, selection: Selection) -> Clause:
        """The WHERE clause (and whatever must follow it) of a selection."""
        if isinstance(selection, FilterBatch):
            return self.batch_clause(target, selection)
        ids = self.ids_clause(selection.memory_ids)
        if selection.user_id is None:
            return ids
        owner = self.owner_check(selection.user_id)
        return Clause(f"{ids.sql} AND {owner.sql}", [*ids.params, *owner.params])

    def returning_delete(self, target: Table, selection: Selection) -> Clause:
        """The DELETE of a selection, answering with what it deleted."""
        where = self.where(target, selection)
        return Clause(
            f"DELETE FROM {target.quoted_table} WHERE {where.sql} RETURNING memory_id, user_id",
            where.params,
        )

    def delete_and_record(
        self, target: Table, selection: Selection, entry: AuditEntry, *, with_rows: bool
    ) -> Deletion:
        """Delete the selection and write its audit record in one statement; only where
        `can_record_in_statement`."""
        raise NotImplementedError

    def delete(self, target: Table, selection: Selection) -> list[DeletedMemory]:
        """Delete the selected rows; return what was deleted. Run it inside a transaction
        on target.alias: where the engine cannot return deleted rows, they are locked and
        read first."""
        with self.connection.cursor() as cursor:
            if self.can_return_rows:
                cursor.execute(*self.returning_delete(target, selection))
                return [DeletedMemory(*row) for row in cursor.fetchall()]
            where = self.where(target, selection)
            table = target.quoted_table
            cursor.execute(
                f"SELECT memory_id, user_id FROM {table} WHERE {where.sql} FOR UPDATE",
                where.params,
            )
            rows = [DeletedMemory(*row) for row in cursor.fetchall()]
            if rows:
                # Delete exactly what was locked and read, whatever a LIMIT would pick now.
                ids = self.ids_clause([row.memory_id for row in rows])
                cursor.execute(f"DELETE FROM {table} WHERE {ids.sql}", ids.params)
            return rows
