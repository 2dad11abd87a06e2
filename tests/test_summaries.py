"""A table's topics and choices kept in the cache at most AGGREGATE_CACHE_SECONDS."""

import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.conf import settings
from django.test import override_settings

from memories.summaries import column_values
from tests.factories import memory_create, target

pytestmark = pytest.mark.django_db(databases="__all__")

# Short, so that a test sees a kept list expire without sleeping long.
BOUND = 0.5


@contextmanager
def kept_for(seconds: float) -> Iterator[None]:
    memories = {**settings.MEMORIES, "AGGREGATE_CACHE_SECONDS": seconds}
    with override_settings(MEMORIES=memories):
        yield


def test_administrators_topics_are_refreshed_within_the_bound(as_user, db_id):
    memory_create(db_id, topics=["old"])
    admin = as_user("root", admin=True)

    with kept_for(BOUND):
        first = admin.get(f"/memory_topics?db_id={db_id}").json()
        started = time.monotonic()
        memory_create(db_id, topics=["new"])
        kept = admin.get(f"/memory_topics?db_id={db_id}").json()
        elapsed = time.monotonic() - started
        time.sleep(BOUND + 0.1)
        refreshed = admin.get(f"/memory_topics?db_id={db_id}").json()

    assert first == ["old"]
    assert kept == ["old"] or elapsed >= BOUND  # served from the cache within the bound
    assert refreshed == ["new", "old"]


def test_owners_topics_are_never_kept(as_user, db_id):
    memory_create(db_id, user_id="alice", topics=["old"])
    alice = as_user("alice")

    with kept_for(60):
        first = alice.get(f"/memory_topics?db_id={db_id}").json()
        memory_create(db_id, user_id="alice", topics=["new"])
        second = alice.get(f"/memory_topics?db_id={db_id}").json()

    assert (first, second) == (["old"], ["new", "old"])


def test_nothing_is_kept_with_a_bound_of_zero(as_user, db_id):
    memory_create(db_id, topics=["old"])
    admin = as_user("root", admin=True)

    with kept_for(0):
        first = admin.get(f"/memory_topics?db_id={db_id}").json()
        memory_create(db_id, topics=["new"])
        second = admin.get(f"/memory_topics?db_id={db_id}").json()

    assert (first, second) == (["old"], ["new", "old"])


def test_column_values_are_kept_per_table_and_column(db_id):
    memory_create(db_id, agent_id="agent-a", team_id="team-a")

    with kept_for(60):
        agents = column_values(target=target(db_id), column="agent_id")
        teams = column_values(target=target(db_id), column="team_id")
        memory_create(db_id, agent_id="agent-b")
        kept = column_values(target=target(db_id), column="agent_id")

    assert (agents, teams, kept) == (["agent-a"], ["team-a"], ["agent-a"])
