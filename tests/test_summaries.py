"""A table's topics, choices and users' statistics kept in the cache: served as they are for
S = AGGREGATE_CACHE_SECONDS, served stale for S more while one refresh runs in the background,
never served older than 2 x S."""

import logging
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from django.db.backends.signals import connection_created
from django.test import override_settings

from memories.models import Channel
from memories.selectors import MemoryFilter
from memories.services import memories_delete_matching, user_memories_erase
from memories.summaries import (
    column_values,
    refreshes_running,
    summary_key,
    visible_topics,
    visible_user_stats,
    wait_for_refreshes,
)
from tests.conftest import memories_with, require_db_id, require_redis
from tests.databases import REDIS_URL
from tests.factories import memory_create, memory_ids_in, target
from tests.poolers import POOL_SIZE, pgbouncer, through_pooler

# The refreshes read in threads of their own, on connections of their own: they see
# committed rows only.
pytestmark = pytest.mark.django_db(databases="__all__", transaction=True)

# Short, so that a test sees a kept value go stale without sleeping long.
BOUND = 0.5

CACHES = {
    "locmem": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "sums"},
    "redis": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS_URL},
}


@contextmanager
def kept_for(seconds: float) -> Iterator[None]:
    memories = {**settings.MEMORIES, "AGGREGATE_CACHE_SECONDS": seconds}
    with override_settings(MEMORIES=memories):
        yield


@pytest.fixture(params=list(CACHES))
def shared_cache(request):
    """The default cache as a host configures it: this process's memory, or Redis, which
    every process of an instance shares (the tests' own database of it)."""
    if request.param == "redis":
        require_redis()
    with override_settings(CACHES={"default": CACHES[request.param]}):
        cache.clear()
        yield request.param
        wait_for_refreshes(timeout=30)
        cache.clear()


def refreshes_logged(caplog) -> int:
    return sum(record.getMessage().startswith("summary refreshed") for record in caplog.records)


def topics_now(db_id):
    return visible_topics(target=target(db_id), user_id=None)


def stale_topics(db_id):
    """["old"] read and kept, then "new" written, and the kept value gone stale."""
    memory_create(db_id, topics=["old"])
    assert topics_now(db_id) == ["old"]
    memory_create(db_id, topics=["new"])
    time.sleep(BOUND + 0.05)


def test_a_stale_value_is_served_while_another_process_refreshes(db_id, caplog):
    caplog.set_level(logging.INFO, logger="memories.summaries")
    lock = summary_key(target(db_id), "topics") + ":refreshing"

    with kept_for(BOUND):
        stale_topics(db_id)
        assert cache.add(lock, "another process", timeout=60)  # its refresh is running
        while_held = [topics_now(db_id) for _ in range(3)]
        wait_for_refreshes(timeout=30)
        started_while_held = refreshes_logged(caplog)
        cache.delete(lock)  # that refresh died: the next request past S starts one
        served = topics_now(db_id)
        wait_for_refreshes(timeout=30)
        refreshed = topics_now(db_id)

    assert while_held == [["old"]] * 3 and started_while_held == 0
    assert served == ["old"] and refreshes_logged(caplog) == 1
    assert refreshed == ["new", "old"]


@pytest.mark.parametrize("db_id", ["pg", "maria"])
def test_a_refresh_held_by_the_database_holds_no_request(db_id):
    """The refresh's read waits behind a lock of the table; requests meanwhile are answered
    at once, with the value kept, and the refresh's value follows once it can read."""
    require_db_id(db_id)
    with kept_for(BOUND):
        stale_topics(db_id)
        with table_locked(db_id):
            started = time.monotonic()
            answers = [topics_now(db_id) for _ in range(3)]
            answered_in = time.monotonic() - started
            refreshing_meanwhile = refreshes_running()
        wait_for_refreshes(timeout=30)
        refreshed = topics_now(db_id)

    assert answers == [["old"]] * 3 and answered_in < BOUND
    assert refreshing_meanwhile == 1
    assert refreshed == ["new", "old"]


@contextmanager
def table_locked(db_id) -> Iterator[None]:
    """The memory table locked against readers by another connection of the database."""
    connection = connections[target(db_id).alias]
    locker = connection.copy()
    try:
        with locker.cursor() as cursor:
            if locker.vendor == "postgresql":
                cursor.execute("BEGIN")
                cursor.execute("LOCK TABLE agno_memories IN ACCESS EXCLUSIVE MODE")
            else:
                cursor.execute("LOCK TABLES agno_memories WRITE")
            try:
                yield
            finally:
                cursor.execute("ROLLBACK" if locker.vendor == "postgresql" else "UNLOCK TABLES")
    finally:
        locker.close()


def test_concurrent_misses_run_one_refresh(db_id, shared_cache, caplog):
    caplog.set_level(logging.INFO, logger="memories.summaries")
    requests = 8
    ready = threading.Barrier(requests)
    answers: list[list[str]] = []

    def ask() -> None:
        ready.wait()
        answers.append(topics_now(db_id))
        connections.close_all()

    with kept_for(BOUND):
        stale_topics(db_id)
        asking = [threading.Thread(target=ask) for _ in range(requests)]
        for thread in asking:
            thread.start()
        for thread in asking:
            thread.join()
        wait_for_refreshes(timeout=30)
        refreshed = topics_now(db_id)

    # Each answered at once: the kept value, or the refresh's if it ended before its turn.
    assert ["old"] in answers and all(a in (["old"], ["new", "old"]) for a in answers)
    assert refreshes_logged(caplog) == 1
    assert refreshed == ["new", "old"]


def test_every_answer_is_fresh_within_twice_the_bound(db_id):
    """A memory written is in every answer given 2 x S after it, however the requests fall."""
    with kept_for(BOUND):
        memory_create(db_id, topics=["old"])
        assert topics_now(db_id) == ["old"]
        time.sleep(BOUND / 2)
        memory_create(db_id, topics=["new"])
        written = time.monotonic()
        answers = []
        while time.monotonic() - written < 3 * BOUND:
            answers.append((time.monotonic() - written, topics_now(db_id)))
            time.sleep(0.02)

    late = [answer for elapsed, answer in answers if elapsed > 2 * BOUND]
    assert late and all(answer == ["new", "old"] for answer in late)
    # Served stale for a while: the kept value, not a read of the table, answered.
    assert ["old"] in [answer for _, answer in answers]


def test_a_value_older_than_twice_the_bound_is_read_by_the_request(db_id, caplog):
    caplog.set_level(logging.INFO, logger="memories.summaries")

    with kept_for(BOUND):
        memory_create(db_id, topics=["old"])
        topics_now(db_id)
        memory_create(db_id, topics=["new"])
        time.sleep(2 * BOUND + 0.05)
        answer = topics_now(db_id)

    assert answer == ["new", "old"] and refreshes_logged(caplog) == 0


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


def test_administrators_stats_are_kept_per_page_and_owners_are_read(as_user, db_id):
    memory_create(db_id, user_id="alice", updated_at=100)
    memory_create(db_id, user_id="bob", updated_at=200)
    admin_stats = f"/user_memory_stats?db_id={db_id}"

    def users(response):
        return [(row["user_id"], row["total_memories"]) for row in response.json()["data"]]

    with kept_for(60):
        everyone = users(as_user("root", admin=True).get(admin_stats))
        memory_create(db_id, user_id="alice", updated_at=300)
        kept = users(as_user("root", admin=True).get(admin_stats))
        other_page = users(as_user("root", admin=True).get(f"{admin_stats}&limit=1"))
        narrowed = users(as_user("root", admin=True).get(f"{admin_stats}&user_id=alice"))
        own = users(as_user("alice").get(admin_stats))

    assert everyone == kept == [("bob", 1), ("alice", 1)]
    assert other_page == [("alice", 2)]
    assert narrowed == own == [("alice", 2)]


def admins_view(as_user, db_id):
    """The users an administrator's kept stats and topics list."""
    admin = as_user("root", admin=True)
    stats = admin.get(f"/user_memory_stats?db_id={db_id}").json()["data"]
    topics = admin.get(f"/memory_topics?db_id={db_id}").json()
    return sorted(row["user_id"] for row in stats), topics


def test_an_erased_user_is_listed_by_no_kept_summary(as_user, db_id, shared_cache):
    memory_create(db_id, user_id="alice", topics=["alice-topic"])
    memory_create(db_id, memory_id="bob-1", user_id="bob", topics=["bob-topic"])

    with kept_for(60):
        before = admins_view(as_user, db_id)
        erased = user_memories_erase(
            user_id="alice", targets=[target(db_id)], actor="root", channel=Channel.COMMAND
        )
        after = admins_view(as_user, db_id)

    assert before == (["alice", "bob"], ["alice-topic", "bob-topic"])
    assert erased == {target(db_id): 1} and memory_ids_in(db_id) == {"bob-1"}
    assert after == (["bob"], ["bob-topic"])


def test_a_deletion_by_filter_is_seen_by_the_kept_summaries(as_user, db_id):
    memory_create(db_id, user_id="alice", agent_id="chef", topics=["recipes"])
    memory_create(db_id, user_id="bob", agent_id="coach", topics=["running"])

    with kept_for(60):
        before = admins_view(as_user, db_id)
        memories_delete_matching(
            memory_filter=MemoryFilter(agent_id="chef"),
            targets=[target(db_id)],
            actor="root",
            channel=Channel.COMMAND,
        )
        after = admins_view(as_user, db_id)
        choices = column_values(target=target(db_id), column="agent_id")

    assert before == (["alice", "bob"], ["recipes", "running"])
    assert after == (["bob"], ["running"]) and choices == ["coach"]


def test_an_erasure_stands_when_the_cache_fails(db_id, caplog):
    memory_create(db_id, user_id="alice")
    closed = {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": "redis://127.0.0.1:9/0",
        "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
    }

    with kept_for(60), override_settings(CACHES={"default": closed}):
        erased = user_memories_erase(
            user_id="alice", targets=[target(db_id)], actor="root", channel=Channel.COMMAND
        )

    assert erased == {target(db_id): 1} and memory_ids_in(db_id) == set()
    assert any("kept until they expire" in record.getMessage() for record in caplog.records)


# Each summary of an administrator's whole table, as its callers ask for it.
SUMMARIES = {
    "topics": lambda db_id: visible_topics(target=target(db_id), user_id=None),
    "agents": lambda db_id: column_values(target=target(db_id), column="agent_id"),
    "user stats": lambda db_id: [
        (row["user_id"], row["total_memories"])
        for row in visible_user_stats(target=target(db_id), user_id=None, page=1, limit=20).items
    ],
}


@contextmanager
def parallel_workers_seen(alias: str) -> Iterator[list[tuple[str, str]]]:
    """(thread, max_parallel_workers_per_gather) in effect on its connection, asked in the
    statement's transaction just before it runs, for each read of the memory table on alias:
    this thread's, and those of the threads that connect within the block (the refreshes')."""
    seen: list[tuple[str, str]] = []

    def record(execute, sql, params, many, context):
        if "agno_memories" in sql:
            with context["connection"].connection.cursor() as cursor:
                cursor.execute("SELECT current_setting('max_parallel_workers_per_gather')")
                seen.append((threading.current_thread().name, cursor.fetchone()[0]))
        return execute(sql, params, many, context)

    def on_connect(sender, connection, **kwargs):
        if connection.alias == alias and record not in connection.execute_wrappers:
            connection.execute_wrappers.append(record)

    connection_created.connect(on_connect)
    try:
        with connections[alias].execute_wrapper(record):
            yield seen
    finally:
        connection_created.disconnect(on_connect)


def one_memory_more(db_id: str) -> None:
    """A memory that changes every summary (a topic, an agent, a user), and BOUND waited."""
    memory_create(db_id, user_id="bob", agent_id="coach", topics=["running"], updated_at=200)
    time.sleep(BOUND + 0.05)


@pytest.mark.parametrize("summary", list(SUMMARIES))
def test_a_refresh_reads_without_parallel_workers_and_a_request_with_them(summary):
    """The refresh's statements run with PostgreSQL's max_parallel_workers_per_gather at 0,
    seen on the refresh's own connection; a request that reads the table itself keeps the
    server's (2)."""
    require_db_id("pg")
    alias, read = target("pg").alias, SUMMARIES[summary]
    memory_create("pg", user_id="alice", agent_id="chef", topics=["cooking"], updated_at=100)

    with kept_for(BOUND):
        with parallel_workers_seen(alias) as by_the_request:
            first = read("pg")
        one_memory_more("pg")
        with parallel_workers_seen(alias) as by_the_refresh:
            served = read("pg")
            wait_for_refreshes(timeout=30)
        refreshed = read("pg")

    assert served == first != refreshed
    assert by_the_request and set(by_the_request) == {("MainThread", "2")}
    assert by_the_refresh and set(by_the_refresh) == {("memories-summary", "0")}


def test_a_refresh_past_the_statement_limit_is_cut_and_the_next_one_reads(caplog):
    """Within the refresh's transaction the statement limit still cuts its read: the kept
    value stays, and the next refresh reads the table."""
    require_db_id("pg")
    bound = 2.0
    with kept_for(bound), override_settings(MEMORIES=memories_with(STATEMENT_TIMEOUT=0.5)):
        memory_create("pg", topics=["old"])
        assert topics_now("pg") == ["old"]
        memory_create("pg", topics=["new"])
        time.sleep(bound + 0.05)
        with table_locked("pg"):
            while_locked = topics_now("pg")
            wait_for_refreshes(timeout=30)
        cut = [r.getMessage() for r in caplog.records if "refresh failed" in r.getMessage()]
        after = topics_now("pg")
        wait_for_refreshes(timeout=30)
        refreshed = topics_now("pg")

    assert while_locked == after == ["old"]
    assert len(cut) == 1 and cut[0].startswith("summary refresh failed (StatementTimeoutError")
    assert refreshed == ["new", "old"]


def test_behind_pgbouncer_a_refresh_leaves_no_server_connection_without_parallel_workers(
    tmp_path,
):
    """Transaction pooling: the refresh's setting ends with its transaction, so both server
    connections of the pool, held together by two clients, have the server's afterwards."""
    require_db_id("pg")
    alias = target("pg").alias
    database = connections[alias].settings_dict["NAME"]

    with pgbouncer(tmp_path) as pooler, through_pooler(alias, pooler):
        with kept_for(BOUND):
            stale_topics("pg")
            with parallel_workers_seen(alias) as seen:
                served = topics_now("pg")
                wait_for_refreshes(timeout=30)
            refreshed = topics_now("pg")
        with (
            psycopg.connect(f"{pooler}/{database}") as first,
            psycopg.connect(f"{pooler}/{database}") as second,
        ):
            settings_after = [
                client.execute("SHOW max_parallel_workers_per_gather").fetchone()
                for client in (first, second)
            ]
            pids = {
                client.execute("SELECT pg_backend_pid()").fetchone() for client in (first, second)
            }

    assert (served, refreshed) == (["old"], ["new", "old"])
    assert seen and set(seen) == {("memories-summary", "0")}
    assert len(pids) == POOL_SIZE
    assert settings_after == [("2",), ("2",)]
