"""The memory changelist on a table larger than MEMORIES["ADMIN_LARGE_TABLE_ROWS"]: no
facets, no count of the whole table, PostgreSQL's estimate labelled, and every page still
showing exactly its rows."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from django.conf import settings
from django.db import connections
from django.test import RequestFactory, override_settings
from django.test.utils import CaptureQueriesContext

from memories.admin.changelists import is_large_table
from memories.targets import memory_model
from tests.conftest import require_db_id
from tests.factories import model_of, target

pytestmark = pytest.mark.django_db(databases="__all__")

CHANGELIST = "/admin/memories/memory/"
# More than the changelist's list_max_show_all (200): past it, a large table's count is
# PostgreSQL's estimate.
ROWS = 260


@contextmanager
def large_from(rows: int) -> Iterator[None]:
    with override_settings(MEMORIES={**settings.MEMORIES, "ADMIN_LARGE_TABLE_ROWS": rows}):
        yield


def seed(db_id: str, count: int = ROWS) -> list[str]:
    """count memories, agent-0 holding two thirds of them; their ids in the changelist's
    order (last updated first). PostgreSQL's statistics taken, as autovacuum would."""
    require_db_id(db_id)
    model = model_of(db_id)
    rows = [
        model(
            memory_id=f"m{n:04}",
            memory=f"memory {n}",
            user_id=f"user-{n % 7}",
            agent_id=f"agent-{min(n % 3, 1)}",
            topics=[f"topic-{n % 4}"],
            created_at=1_700_000_000 + n,
            updated_at=1_700_000_000 + n,
        )
        for n in range(count)
    ]
    model._default_manager.using(target(db_id).alias).bulk_create(rows)
    if connections[target(db_id).alias].vendor == "postgresql":
        with connections[target(db_id).alias].cursor() as cursor:
            cursor.execute(f"ANALYZE {target(db_id).quoted_table}")
    return [row.memory_id for row in reversed(rows)]


def listed(response) -> list[str]:
    assert response.status_code == 200, response.status_code
    return [memory.memory_id for memory in response.context["cl"].result_list]


def facets_asked(staff, db_id: str, *, large_from_rows: int) -> tuple[Any, Any]:
    """The first page of 30 memories, and the page of agent-0's with facets asked for."""
    seed(db_id, 30)
    where = {"target": f"{db_id}:agno_memories"}
    with large_from(large_from_rows):
        page = staff.get(CHANGELIST, where)
        asked = staff.get(CHANGELIST, {**where, "_facets": "True", "agent_id": "agent-0"})
    return page, asked


def test_large_table_offers_no_facets_and_counts_no_total(staff, db_id):
    page, asked = facets_asked(staff, db_id, large_from_rows=10)

    assert "_facets=True" not in page.text and "Show counts" not in page.text
    changelist = asked.context["cl"]
    assert not changelist.add_facets and changelist.full_result_count is None
    assert " total)" not in asked.text
    assert listed(asked) == [f"m{n:04}" for n in reversed(range(30)) if n % 3 == 0]


def test_small_table_keeps_facets_and_the_total(staff, db_id):
    page, asked = facets_asked(staff, db_id, large_from_rows=30)

    assert "_facets=True" in page.text
    changelist = asked.context["cl"]
    assert changelist.add_facets and changelist.full_result_count == 30
    assert changelist.result_count == 10 and "30 total" in asked.text


def test_large_postgresql_table_shows_its_estimate_labelled_and_exact_pages(staff):
    ordered = seed("pg")
    where = {"target": "pg:agno_memories"}

    with large_from(100):
        first = staff.get(CHANGELIST, where)
        last = staff.get(CHANGELIST, {**where, "p": "6"})
        past_the_end = staff.get(CHANGELIST, {**where, "p": "40"})

    changelist = first.context["cl"]
    assert changelist.paginator.is_estimate
    assert 'id="count-estimate"' in first.text
    assert f"About {changelist.result_count} memories match: an estimate" in first.text
    assert listed(first) == ordered[:50]
    assert listed(last) == ordered[250:]
    assert listed(past_the_end) == []


def test_large_table_counts_few_matches_exactly(staff):
    ordered = seed("pg")

    with large_from(100):
        response = staff.get(CHANGELIST, {"target": "pg:agno_memories", "agent_id": "agent-1"})

    changelist = response.context["cl"]
    shown = [memory_id for memory_id in ordered if int(memory_id[1:]) % 3 != 0]
    assert len(shown) <= 200 and changelist.result_count == len(shown)
    assert not changelist.paginator.is_estimate and 'id="count-estimate"' not in response.text
    assert listed(response) == shown[:50]


@pytest.mark.parametrize("db_id", ["lite", "maria"])
def test_large_table_of_another_engine_is_counted(staff, db_id):
    seed(db_id)

    with large_from(100):
        response = staff.get(CHANGELIST, {"target": f"{db_id}:agno_memories", "p": "6"})

    changelist = response.context["cl"]
    assert changelist.result_count == ROWS and not changelist.paginator.is_estimate
    assert len(listed(response)) == ROWS - 250


def test_deletion_by_filter_counts_exactly_what_a_large_list_estimates(staff):
    seed("pg")
    model = model_of("pg")
    # Rows the statistics have not seen yet: the estimate is off, the deletion's count not.
    later = [
        model(memory_id=f"n{n:04}", memory="new", agent_id="agent-0", created_at=1, updated_at=1)
        for n in range(500)
    ]
    model._default_manager.using("pg").bulk_create(later)
    url = "/admin/memories/memory/delete_matching/"
    query = {"target": "pg:agno_memories", "agent_id": "agent-0"}
    exact = model._default_manager.using("pg").filter(agent_id="agent-0").count()

    with large_from(100):
        shown = staff.get(CHANGELIST, query).context["cl"]
        confirmation = staff.get(url, query)

    assert shown.paginator.is_estimate and shown.result_count != exact
    assert f'id="deletion-total">{exact}<' in confirmation.text


# A table of its own, made in the test's transaction: never analyzed until the test says so.
FRESH_TABLE = "ai.fresh_memories"


@pytest.fixture
def fresh_table():
    require_db_id("pg")
    connection = connections["pg"]
    tables = {**settings.MEMORIES["TABLES"], "pg": ["agno_memories", FRESH_TABLE]}
    with override_settings(MEMORIES={**settings.MEMORIES, "TABLES": tables}):
        with connection.schema_editor() as editor:
            editor.create_model(memory_model(connection, FRESH_TABLE))
        yield target("pg", FRESH_TABLE)


@pytest.mark.parametrize("rows", [5, 30])
@pytest.mark.parametrize("analyzed", [True, False], ids=["analyzed", "never-analyzed"])
def test_postgresql_statistics_say_large_and_a_count_says_the_rest(fresh_table, rows, analyzed):
    """Bound 10: PostgreSQL's statistics (pg_class.reltuples) decide a table of 30 rows is
    large without a count; 5 rows, or a table never analyzed, are counted."""
    model = fresh_table.model
    model._default_manager.using("pg").bulk_create(
        model(memory_id=f"m{n}", memory="m", created_at=n) for n in range(rows)
    )
    if analyzed:
        with connections["pg"].cursor() as cursor:
            cursor.execute(f"ANALYZE {fresh_table.quoted_table}")
    request = RequestFactory().get(CHANGELIST, {"target": f"pg:{FRESH_TABLE}"})

    with large_from(10), CaptureQueriesContext(connections["pg"]) as captured:
        large = is_large_table(request)

    counted = any("COUNT(" in query["sql"].upper() for query in captured.captured_queries)
    assert large == (rows > 10)
    assert counted == (not analyzed or rows <= 10)
