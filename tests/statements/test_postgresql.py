"""PostgreSQL's statements on an analyzed table: a bulk delete probes the index, an erasure
batch fetches its rows by address and checks each again; the statement that records a deletion
names every field of the audit record."""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.db import connections

from memories.models import Channel, MemoryDeletion
from memories.selectors import MemoryFilter, memory_matching
from memories.services import memories_delete
from memories.services.deletion import delete_selection
from memories.statements import FilterBatch, condition_of, statements_for
from memories.statements.postgresql import RECORD_FIELDS, _record_insert
from tests.conftest import require_db_id
from tests.factories import memory_ids_in, model_of, target

pytestmark = pytest.mark.django_db(databases="__all__")


def seed_analyzed(owner_of: Any) -> None:
    """20,000 memories on pg, owned by owner_of(n), with the planner's statistics fresh."""
    model = model_of("pg")
    model._default_manager.using("pg").bulk_create(
        model(memory_id=f"m{n:05}", memory="x", user_id=owner_of(n), created_at=1)
        for n in range(20000)
    )
    with connections["pg"].cursor() as cursor:
        cursor.execute("ANALYZE agno_memories")


@contextmanager
def explained_deletes() -> Iterator[list[str]]:
    """The plans of the DELETE statements run on pg meanwhile."""
    plans: list[str] = []

    def explain_first(execute, sql, params, many, context):
        if "DELETE FROM" in sql:
            cursor = context["cursor"].cursor  # psycopg's own: not wrapped again
            cursor.execute(f"EXPLAIN {sql}", params)
            plans.append("\n".join(row[0] for row in cursor.fetchall()))
        return execute(sql, params, many, context)

    with connections["pg"].execute_wrapper(explain_first):
        yield plans


class BulkPlanTests:
    def test_bulk_delete_probes_the_index_where_a_whole_table_scan_looks_cheaper(self):
        """1000 ids against an analyzed table of 20,000 rows: seen as a constant, the id
        list makes the planner scan the whole table; the statement must not let it."""
        require_db_id("pg")
        seed_analyzed(lambda n: "alice")

        ids = [f"m{n:05}" for n in range(0, 20000, 20)]
        with explained_deletes() as plans:
            deletion = memories_delete(
                target=target("pg"),
                memory_ids=ids,
                user_id="alice",
                actor="alice",
                channel=Channel.API,
            )

        assert deletion.count == 1000
        assert len(plans) == 1 and "Seq Scan on agno_memories" not in plans[0], plans
        assert "Index Scan" in plans[0], plans
        assert len(memory_ids_in("pg")) == 19000

    def test_a_first_pass_batch_fetches_rows_by_address_and_checks_them_again(self):
        """A first pass's batch reads the addresses of matching rows once and fetches them
        directly, and its condition is checked again on each row fetched: an address never
        deletes a row that no longer matches (tests/test_erasure_races.py provokes the
        skipped rows)."""
        require_db_id("pg")
        seed_analyzed(lambda n: f"u{n % 20}")
        u7 = condition_of(memory_matching(target=target("pg"), memory_filter=MemoryFilter("u7")))

        with explained_deletes() as plans:
            deletion = delete_selection(
                target=target("pg"),
                selection=FilterBatch(condition=u7, size=500, user_id="u7", may_skip_updated=True),
                actor="root",
                channel=Channel.COMMAND,
            )

        assert deletion.count == 500
        (plan,) = plans
        assert "Tid Scan on agno_memories" in plan, plan
        assert "Seq Scan on agno_memories" not in plan.split("InitPlan")[0], plan
        assert re.search(r"Filter: \(.*user_id.* IS TRUE\)", plan), plan
        left = model_of("pg")._default_manager.using("pg").filter(user_id="u7").count()
        assert (left, len(memory_ids_in("pg"))) == (500, 19500)

    def test_a_later_batch_chooses_rows_by_id_and_checks_them_again(self):
        """Every batch after the first pass chooses its rows by id, which a concurrent update
        does not change: the rows a first pass skipped are never skipped again."""
        require_db_id("pg")
        seed_analyzed(lambda n: f"u{n % 20}")
        u7 = condition_of(memory_matching(target=target("pg"), memory_filter=MemoryFilter("u7")))

        with explained_deletes() as plans:
            deletion = delete_selection(
                target=target("pg"),
                selection=FilterBatch(condition=u7, size=500, user_id="u7"),
                actor="root",
                channel=Channel.COMMAND,
            )

        assert deletion.count == 500
        (plan,) = plans
        assert "Tid Scan" not in plan and "ctid" not in plan, plan
        assert "memory_id" in plan and "Seq Scan on agno_memories" not in plan, plan
        left = model_of("pg")._default_manager.using("pg").filter(user_id="u7").count()
        assert (left, len(memory_ids_in("pg"))) == (500, 19500)


def test_the_statement_that_records_a_deletion_fills_every_field_of_the_audit_record():
    """PostgreSQL's delete_and_record names the audit record's columns in its SQL: a field
    added to MemoryDeletion must be added there too."""
    fields = {f.name for f in MemoryDeletion._meta.concrete_fields if not f.primary_key}
    assert {*RECORD_FIELDS, "count"} == fields


def test_the_record_insert_is_built_once_naming_the_columns_in_the_statement_order():
    require_db_id("pg")
    insert = _record_insert(statements_for("pg"))

    fields = {field.name: field.column for field in MemoryDeletion._meta.concrete_fields}
    quoted = ", ".join(f'"{fields[name]}"' for name in (*RECORD_FIELDS, "count"))
    assert insert == f'INSERT INTO "memories_memorydeletion" ({quoted})'
    # Kept: another request's statements (a new instance) get the same text, not a new one.
    assert _record_insert(statements_for("pg")) is insert
