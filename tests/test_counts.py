"""memories.counts: a count that stops past its bound, and PostgreSQL's estimates, each
against the exact count of the same rows."""

import pytest
from django.db import connections

from memories.counts import count_up_to, planner_estimate, table_rows_estimate
from tests.factories import memory_create, target


def memories_of(db_id):
    return target(db_id).model._default_manager.using(target(db_id).alias)


@pytest.mark.django_db(databases="__all__")
def test_a_count_up_to_its_bound_is_exact_and_stops_one_past_it(db_id):
    for n in range(7):
        memory_create(db_id, memory_id=f"m{n}", user_id="alice" if n < 4 else "bob")
    rows = memories_of(db_id)

    assert count_up_to(rows, 10) == 7
    assert count_up_to(rows, 7) == 7
    assert count_up_to(rows.filter(user_id="alice"), 3) == 4  # bound + 1: "more than 3"
    assert count_up_to(rows, 2) == 3
    assert count_up_to(rows.filter(user_id="carol"), 5) == 0


@pytest.mark.django_db(databases="__all__")
def test_postgresql_estimates_the_rows_a_query_finds_other_engines_do_not(db_id):
    for n in range(50):
        memory_create(db_id, memory_id=f"m{n}", user_id=f"user{n % 5}")
    rows = memories_of(db_id)
    if connections[target(db_id).alias].vendor != "postgresql":
        assert planner_estimate(rows) is None
        assert table_rows_estimate(rows) is None
        return
    with connections[target(db_id).alias].cursor() as cursor:
        cursor.execute(f"ANALYZE {target(db_id).quoted_table}")

    # The statistics of an analyzed table: its rows, read from the catalog.
    assert table_rows_estimate(rows) == 50
    # The plan's estimate is near the true count (the statistics are fresh).
    estimate = planner_estimate(rows.filter(user_id="user1"))
    assert estimate is not None and 5 <= estimate <= 20
    assert planner_estimate(rows) == 50
