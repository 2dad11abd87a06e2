"""PostgreSQL's statements: one JSON parameter for many ids, a DELETE that writes its own
audit record, the topics unnested by json_array_elements, and an export's lines written by
the database (postgresql_lines.py)."""

import json
from collections.abc import Sequence
from typing import Any

from django.db import DatabaseError
from django.db.models import Field

from memories.audit import AuditEntry
from memories.models import MemoryDeletion
from memories.sqlstates import DEADLOCK_DETECTED, SERIALIZATION_FAILURE, sqlstate
from memories.statements.base import (
    Clause,
    DeletedMemory,
    Deletion,
    FilterBatch,
    LineChunks,
    Param,
    Selection,
    Statements,
    Table,
)
from memories.statements.postgresql_lines import PostgreSQLLines


class PostgreSQLStatements(Statements):
    can_record_in_statement = True
    # Each batch commits (a WAL flush), and chooses its rows by scanning the owner's index
    # past the entries of the batches before it: fewer, larger batches erase faster
    # (BENCHMARKS.md, figures behind choices in the code). The batches only lock the rows
    # they delete, and record their ids in one compressed value.
    batch_size = 50_000

    def is_transient(self, error: DatabaseError) -> bool:
        return sqlstate(error.__cause__) in (DEADLOCK_DETECTED, SERIALIZATION_FAILURE)

    def ids_clause(self, memory_ids: Sequence[str]) -> Clause:
        if len(memory_ids) == 1:
            return super().ids_clause(memory_ids)
        # One parameter, however many ids: a JSON array, which the driver passes as one
        # string instead of adapting each id. Read through a subquery, the ids' number
        # is unknown when planning: the index is probed per id, a cost bounded by the
        # ids. Seen as a constant, 1000 ids can make a table of 100k rows look cheaper
        # to scan whole, at several times the cost, growing with the table.
        return Clause(
            "memory_id = ANY(ARRAY(SELECT jsonb_array_elements_text(%s::jsonb)))",
            [json.dumps(list(memory_ids))],
        )

    def owner_check(self, user_id: str) -> Clause:
        # Written so that no index can serve it: otherwise the planner may walk all of a
        # large owner's rows through its index and compare each with every id.
        return Clause("(user_id = %s) IS TRUE", [user_id])

    def batch_clause(self, target: Table, batch: FilterBatch) -> Clause:
        """A first pass's batch chosen by physical address: the one optimisation of the
        erasure; every other batch chosen by id (Statements.batch_clause).

        The rows' addresses (ctid) are read once, then fetched directly (a TID scan), which
        deletes 100k rows in about 0.6 x the time of probing the primary key per id. Its
        hazard: a row updated while the statement runs has a new address, which the
        statement's own check of the address rejects, so the row is skipped. A row that an
        agent keeps updating would be skipped by every such batch; so only a first pass
        (`may_skip_updated`) is chosen this way. What it skipped, a count finds, and the
        batches after it choose by id: the statement then waits for the writer, follows the
        row to its new version, checks the condition on it and deletes it. The condition is
        checked again on each row (IS TRUE keeps the planner on the TID scan), so a row
        updated out of the filter stays, and an address can only ever delete a row that
        matches. tests/test_erasure_races.py runs both ways under concurrent writers.
        """
        if not batch.may_skip_updated:
            return super().batch_clause(target, batch)
        condition = batch.condition
        chosen = f"SELECT ctid FROM {target.quoted_table} WHERE {condition.sql} LIMIT %s"
        return Clause(
            f"ctid = ANY(ARRAY({chosen})) AND ({condition.sql}) IS TRUE",
            [*condition.params, batch.size, *condition.params],
        )

    def line_chunks(self, target: Table) -> LineChunks:
        return PostgreSQLLines(self.alias, target.quoted_table)

    def topics_query(self, target: Table, condition: Clause) -> Clause:
        # As json, whether the column is json or jsonb (a host's table may hold either): json
        # takes every value Python's decoder takes, where a cast to jsonb fails on a string
        # holding \u0000 or a lone surrogate. A value that is no list unnests to no row. Each
        # element is answered as its JSON text, which topic_of decodes: two spellings of one
        # string (an escape, a character) are two rows here and one topic there.
        topics = f"({target.quoted_table}.{self.quote('topics')})::json"
        return Clause(
            f"SELECT DISTINCT element::text FROM {target.quoted_table},"
            f" json_array_elements(CASE WHEN json_typeof({topics}) = 'array'"
            f" THEN {topics} END) AS element"
            f" WHERE ({condition.sql}) AND json_typeof(element) = 'string'",
            condition.params,
        )

    def topic_of(self, value: Any) -> str:
        return str(json.loads(value))

    def delete_and_record(
        self, target: Table, selection: Selection, entry: AuditEntry, *, with_rows: bool
    ) -> Deletion:
        """Delete the selection and insert its audit record in one statement, atomic on its
        own: one round trip. Only where the record lives in the same database.

        Without `with_rows` none of the deleted rows leave the database: the statement
        answers with the record's id and count only.
        """
        delete = self.returning_delete(target, selection)
        owner = selection.user_id
        if owner is None:
            owners = Clause(
                "(SELECT COALESCE(jsonb_agg(owner ORDER BY owner COLLATE \"C\"), '[]'::jsonb)"
                " FROM (SELECT DISTINCT user_id AS owner FROM gone"
                " WHERE user_id IS NOT NULL) owners)",
                [],
            )
        else:
            # Every row deleted is that owner's: name it without collecting thousands.
            owners = Clause("jsonb_build_array(%s::text)", [owner])
        values: list[Param] = [
            entry.deleted_at,
            entry.actor,
            entry.channel,
            entry.db_id,
            entry.table,
            entry.request_id,
        ]
        if with_rows:
            answer = "SELECT gone.memory_id, gone.user_id, recorded.id FROM gone, recorded"
        else:
            answer = "SELECT id, count FROM recorded"
        sql = (
            f"WITH gone AS ({delete.sql}), recorded AS ({_record_insert(self)}"
            # to_jsonb(array_agg()) builds the same array as jsonb_agg() in a fraction of the
            # time.
            f" SELECT %s, %s, %s, %s, %s, %s, to_jsonb(array_agg(memory_id)), {owners.sql},"
            " count(*)"
            f" FROM gone HAVING count(*) > 0 RETURNING id, count) {answer}"
        )
        with self.connection.cursor() as cursor:
            cursor.execute(sql, [*delete.params, *values, *owners.params])
            rows = cursor.fetchall()
        if not rows:
            return Deletion(count=0)
        if with_rows:
            deleted = tuple(DeletedMemory(memory_id, owner) for memory_id, owner, _ in rows)
            return Deletion(count=len(deleted), rows=deleted, record_id=rows[0][2])
        ((record_id, count),) = rows
        return Deletion(count=count, record_id=record_id)


# The fields of MemoryDeletion that delete_and_record fills from its parameters, in their
# order; `count` follows, counted by the statement. Together they are every field of the
# model but its id (tests/statements/test_postgresql.py holds them to it).
RECORD_FIELDS = (
    "deleted_at",
    "actor",
    "channel",
    "db_id",
    "table_name",
    "request_id",
    "memory_ids",
    "user_ids",
)


# Built once per Statements class: quoting the ten names looked up the thread's connection
# for each of them, about a twentieth of a delete's CPU (BENCHMARKS.md). The names and an
# engine's quoting never change while the process runs.
_record_inserts: dict[type[Statements], str] = {}


def _record_insert(statements: Statements) -> str:
    """`INSERT INTO` the audit records' table and its columns, quoted, in the order
    delete_and_record fills them."""
    insert = _record_inserts.get(type(statements))
    if insert is None:
        fields = [MemoryDeletion._meta.get_field(name) for name in (*RECORD_FIELDS, "count")]
        columns = [
            statements.quote(str(field.column)) for field in fields if isinstance(field, Field)
        ]
        table = statements.quote(MemoryDeletion._meta.db_table)
        insert = _record_inserts[type(statements)] = f"INSERT INTO {table} ({', '.join(columns)})"
    return insert
