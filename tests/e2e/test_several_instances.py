"""Two instances of the project, as `make run` serves each, on different ports behind no proxy,
sharing one PostgreSQL database and one Redis cache: one rate limit, one winner per delete,
one audit record."""

import secrets
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack
from dataclasses import dataclass
from functools import partial

import jwt
import psycopg
import pytest
import redis
import requests

from tests.conftest import require_db_id, require_redis
from tests.databases import PG_SERVER, REDIS_URL, scratch_postgres_database
from tests.servers import Server, project_server

# Requests per hour and token subject: an hour, so that no request of the test leaves the
# window however slowly a loaded machine serves them.
RATE = 10
WINDOW = 3600  # the rate's hour, in seconds
INSTANCES = 2
# The servers' windows are the clock's hours (this machine's clock, which no test can stop
# in another process): a test that counts requests starts at least this long before one ends.
WINDOW_MARGIN = 120.0


def clear_of_a_window_end() -> None:
    """Wait, if the current hour ends within WINDOW_MARGIN, until the next one has begun."""
    left = WINDOW - time.time() % WINDOW
    if left < WINDOW_MARGIN:
        time.sleep(left + 1)


@dataclass
class Cluster:
    servers: list[Server]
    database: str
    signing_key: str

    def bearer(self, subject: str, *, admin: bool = False) -> dict[str, str]:
        now = int(time.time())
        claims = {"sub": subject, "iat": now, "exp": now + 600}
        if admin:
            claims["scopes"] = ["agent_os:admin"]
        return {"Authorization": f"Bearer {jwt.encode(claims, self.signing_key, 'HS256')}"}


def flush_redis() -> redis.Redis:
    require_redis()
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    return client


@pytest.fixture(scope="module")
def cache() -> Iterator[redis.Redis]:
    client = flush_redis()
    yield client
    client.flushdb()
    client.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory, cache) -> Iterator[Cluster]:
    require_db_id("pg")
    signing_key = secrets.token_urlsafe(48)
    shared = {
        "AGENTOS_JWT_SIGNING_KEY": signing_key,
        "DJANGO_SECRET_KEY": secrets.token_urlsafe(48),
        "AGENTOS_CACHE_URL": REDIS_URL,
        "AGENTOS_THROTTLE_RATE": f"{RATE}/hour",
        "WEB_CONCURRENCY": "2",
    }
    with ExitStack() as stack:
        database = stack.enter_context(scratch_postgres_database("agentos_instances"))
        # One after the other: the second finds the migrations applied.
        servers = [
            stack.enter_context(
                project_server(
                    tmp_path_factory.mktemp(f"instance{number}"),
                    DATABASE_URL=f"{PG_SERVER}/{database}",
                    **shared,
                )
            )
            for number in range(INSTANCES)
        ]
        yield Cluster(servers=servers, database=database, signing_key=signing_key)


def concurrently(calls: list) -> list[requests.Response]:
    """Run the calls at once, released together by a barrier."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait()
        return call()

    with ThreadPoolExecutor(len(calls)) as pool:
        return list(pool.map(run, calls))


def test_the_rate_limit_holds_across_both_instances(cluster, cache):
    headers = cluster.bearer("chatty")
    clear_of_a_window_end()
    calls = [
        partial(requests.get, f"{server.base}/memory_topics", headers=headers, timeout=30)
        for server in cluster.servers * RATE  # twice the allowance, half through each
    ]

    answers = concurrently(calls)

    statuses = sorted(response.status_code for response in answers)
    assert statuses == [200] * RATE + [429] * RATE
    assert {
        response.json()["error_code"] for response in answers if response.status_code == 429
    } == {"TOO_MANY_REQUESTS"}
    assert cache.dbsize() > 0  # counted in the shared cache
    # Another subject has its own allowance.
    other = requests.get(
        f"{cluster.servers[1].base}/memory_topics", headers=cluster.bearer("quiet"), timeout=30
    )
    assert other.status_code == 200


def test_concurrent_deletes_of_one_memory_through_both_give_one_204_and_one_record(cluster):
    memory_ids = [f"race-{number}" for number in range(10)]
    now = int(time.time())
    with psycopg.connect(f"{PG_SERVER}/{cluster.database}", autocommit=True) as connection:
        for memory_id in memory_ids:
            connection.execute(
                "INSERT INTO agno_memories (memory_id, memory, user_id, created_at, updated_at)"
                " VALUES (%s, %s, 'alice', %s, %s)",
                [memory_id, '"Likes tea"', now, now],
            )

    outcomes = {}
    for round_number, memory_id in enumerate(memory_ids):
        # A subject per round: each stays within its allowance.
        headers = cluster.bearer(f"deleter-{round_number}", admin=True)
        url = f"/memories/{memory_id}"
        calls = [
            partial(requests.delete, server.base + url, headers=headers, timeout=30)
            for server in cluster.servers * 4
        ]
        outcomes[memory_id] = sorted(response.status_code for response in concurrently(calls))

    assert outcomes == {memory_id: [204] + [404] * 7 for memory_id in memory_ids}
    with psycopg.connect(f"{PG_SERVER}/{cluster.database}", autocommit=True) as connection:
        left = connection.execute("SELECT count(*) FROM agno_memories").fetchone()
        records = connection.execute(
            "SELECT memory_ids, count, actor FROM memories_memorydeletion ORDER BY id"
        ).fetchall()
    assert left == (0,)
    assert sorted(record[0][0] for record in records) == sorted(memory_ids)
    assert all(record[1] == 1 and len(record[0]) == 1 for record in records)
    assert {record[2] for record in records} == {f"deleter-{n}" for n in range(10)}
