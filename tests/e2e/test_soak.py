"""A bounded soak on loopback: granian with several workers on PostgreSQL, 64 clients.

Distinct deletes, racing deletes of the same memory, reads and creates at once; afterwards
every memory is deleted exactly once, nothing untargeted is lost, and the audit agrees.
`make test` runs a short version; `make soak` a long one (AGENTOS_SOAK_REQUESTS).
"""

import os
import random
import threading
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
import requests

from tests.conftest import require_db_id
from tests.databases import PG_SERVER as PG
from tests.servers import PostgresDeployment, served_on_postgres

REQUESTS = int(os.environ.get("AGENTOS_SOAK_REQUESTS", "800"))
CLIENTS = 64
USERS = [f"user{n}" for n in range(8)]


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[PostgresDeployment]:
    require_db_id("pg")
    with served_on_postgres(tmp_path_factory.mktemp("soak"), "agentos_soak", workers=4) as running:
        yield running


def test_soak(deployment):
    server, database = deployment.server, deployment.database
    deletes = REQUESTS // 2
    racing = REQUESTS // 40  # memories deleted by 4 clients at once
    reads = creates = REQUESTS // 8
    untouched = REQUESTS // 4
    owner = {f"m{n:06}": USERS[n % len(USERS)] for n in range(deletes + racing + untouched)}
    ids = list(owner)
    targeted, contested, spared = (
        ids[:deletes],
        ids[deletes : deletes + racing],
        ids[deletes + racing :],
    )
    with psycopg.connect(f"{PG}/{database}") as connection, connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO agno_memories (memory_id, memory, user_id, created_at, updated_at)"
            " VALUES (%s, '\"soak\"', %s, 1, 1)",
            list(owner.items()),
        )

    tokens = {user: deployment.token(user) for user in USERS}
    plan: list[tuple[str, str | None, str]] = [
        ("delete", memory_id, owner[memory_id]) for memory_id in targeted
    ]
    plan += [("delete", memory_id, owner[memory_id]) for memory_id in contested for _ in range(4)]
    plan += [("read", None, random.choice(USERS)) for _ in range(reads)]
    plan += [("create", None, random.choice(USERS)) for _ in range(creates)]
    random.Random(7).shuffle(plan)
    sessions = threading.local()

    def send(step):
        kind, memory_id, user = step
        if not hasattr(sessions, "http"):
            sessions.http = requests.Session()
        headers = {"Authorization": f"Bearer {tokens[user]}"}
        if kind == "delete":
            url = f"{server.base}/memories/{memory_id}"
            return (
                kind,
                memory_id,
                sessions.http.delete(url, headers=headers, timeout=30).status_code,
            )
        if kind == "read":
            url = f"{server.base}/memories?limit=5"
            return kind, None, sessions.http.get(url, headers=headers, timeout=30).status_code
        body = {"memory": "created during the soak"}
        url = f"{server.base}/memories"
        return (
            kind,
            None,
            sessions.http.post(url, json=body, headers=headers, timeout=30).status_code,
        )

    with ThreadPoolExecutor(max_workers=CLIENTS) as pool:
        results = list(pool.map(send, plan))

    statuses = Counter(status for _, _, status in results)
    assert not [status for status in statuses if status >= 500], statuses
    wins = Counter(memory_id for kind, memory_id, status in results if status == 204)
    assert set(wins) == set(targeted) | set(contested)
    assert set(wins.values()) == {1}, "a memory was deleted more than once"
    assert Counter(s for k, _, s in results if k == "delete" and s != 204) == {404: racing * 3}
    assert Counter(s for k, _, s in results if k == "read") == {200: reads}
    assert Counter(s for k, _, s in results if k == "create") == {201: creates}
    with psycopg.connect(f"{PG}/{database}") as connection:
        left = {row[0] for row in connection.execute("SELECT memory_id FROM agno_memories")}
        audited = connection.execute(
            "SELECT coalesce(sum(count), 0), count(*) FROM memories_memorydeletion"
        ).fetchone()
    assert set(spared) <= left
    assert left.isdisjoint(wins)
    assert len(left) == len(spared) + creates
    assert audited == (len(wins), len(wins))
