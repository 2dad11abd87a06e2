"""The project served through a real PgBouncer in transaction pooling mode, as production
deployments run it: migrations, the API, the admin, the export and the commands all work
while several clients share each server connection."""

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import psycopg
import pytest
import requests

from tests.conftest import require_db_id
from tests.databases import PG_SERVER, scratch_postgres_database
from tests.poolers import pgbouncer
from tests.servers import ROOT, Server, project_server

PASSWORD = "a-long-admin-password-42"
# More rows than one chunk of any read, so a read in several fetches would show.
ALICE_ROWS = 2500
OTHER_ROWS = 1000
TOPICS = {f"topic-{n}" for n in range(40)}


@dataclass(frozen=True)
class Pooled:
    server: Server
    database: str


def seed(database: str) -> None:
    """Memories written straight to PostgreSQL, around the pooler: alice's and others'."""
    rows = [
        (f"m{n:06}", json.dumps(f"memory {n}"), "alice" if n < ALICE_ROWS else f"user{n % 9}")
        for n in range(ALICE_ROWS + OTHER_ROWS)
    ]
    with psycopg.connect(f"{PG_SERVER}/{database}") as connection, connection.cursor() as cursor:
        cursor.executemany(
            "INSERT INTO agno_memories (memory_id, memory, user_id, topics, created_at)"
            " VALUES (%s, %s, %s, %s, 1)",
            [
                (memory_id, memory, user_id, json.dumps([f"topic-{n % 40}"]))
                for n, (memory_id, memory, user_id) in enumerate(rows)
            ],
        )


@pytest.fixture(scope="module")
def pooled(tmp_path_factory) -> Iterator[Pooled]:
    """The project with 2 workers of 4 threads whose only database is reached through
    PgBouncer (bin/serve migrates through it too), and a superuser for the admin."""
    require_db_id("pg")
    folder = tmp_path_factory.mktemp("pgbouncer")
    with (
        pgbouncer(folder) as pooler,
        scratch_postgres_database("agentos_pgbouncer") as database,
        project_server(
            folder,
            DATABASE_URL=f"{pooler}/{database}",
            WEB_CONCURRENCY="2",
            AGENTOS_BLOCKING_THREADS="4",
            # As many exports at once as the test's clients, wherever the balancing sends them:
            # the per-process limit has tests of its own (test_served_exports.py).
            AGENTOS_EXPORT_MAX_CONCURRENT="4",
        ) as server,
    ):
        seed(database)
        server_env = {
            **server.env,
            "DJANGO_SUPERUSER_USERNAME": "operator",
            "DJANGO_SUPERUSER_EMAIL": "operator@example.com",
            "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        }
        subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--noinput"],
            cwd=ROOT,
            env=server_env,
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield Pooled(server=server, database=database)


def admin_session(base: str) -> requests.Session:
    browser = requests.Session()
    login = browser.get(f"{base}/admin/login/", timeout=30)
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login.text)
    assert match, login.text
    response = browser.post(
        f"{base}/admin/login/?next=/admin/",
        data={"username": "operator", "password": PASSWORD, "csrfmiddlewaretoken": match[1]},
        headers={"Referer": f"{base}/admin/login/"},
        timeout=30,
    )
    assert response.url == f"{base}/admin/", response.text[:500]
    return browser


def what_went_wrong(page: str) -> str:
    """The admin's message or error note on a page, else its paginator: what a failure shows."""
    for mark in ('class="messagelist"', 'class="errornote"', 'class="paginator"'):
        if mark in page:
            return page[page.index(mark) :][:400]
    return page[-400:]


def test_concurrent_clients_are_all_answered_through_the_pooler(pooled):
    """4 clients x 10 rounds of the topics, the admin's memory list (with its topic filter),
    its user page and an export: every answer complete, though 8 server threads share 2
    server connections."""
    server = pooled.server
    admin = server.bearer("operator", admin=True)

    def client(number: int) -> list[str]:
        problems = []
        with admin_session(server.base) as browser:
            for round_number in range(10):
                topics = requests.get(f"{server.base}/memory_topics", headers=admin, timeout=60)
                if topics.status_code != 200 or set(topics.json()) != TOPICS:
                    problems.append(f"topics {topics.status_code}: {topics.text[:300]}")
                listed = browser.get(f"{server.base}/admin/memories/memory/", timeout=60)
                total = f"{ALICE_ROWS + OTHER_ROWS} memories"
                if listed.status_code != 200 or total not in listed.text:
                    problems.append(f"admin {listed.status_code}: {what_went_wrong(listed.text)}")
                # Django's own forms list the permissions with iterator().
                user = browser.get(f"{server.base}/admin/auth/user/1/change/", timeout=60)
                if user.status_code != 200 or "Can delete memory" not in user.text:
                    problems.append(f"user {user.status_code}: {user.text[:300]}")
                if (number + round_number) % 3 == 0:
                    exported = requests.get(
                        f"{server.base}/memory_export",
                        params={"user_id": "alice"},
                        headers=admin,
                        timeout=60,
                    )
                    lines = exported.text.splitlines()
                    if exported.status_code != 200 or len(lines) != ALICE_ROWS:
                        problems.append(
                            f"export {exported.status_code}: {len(lines)} lines,"
                            f" the last {lines[-1][:300] if lines else None!r}"
                        )
        return problems

    with ThreadPoolExecutor(4) as pool:
        problems = [problem for found in pool.map(client, range(4)) for problem in found]

    assert problems == []


def test_commands_run_through_the_pooler(pooled, tmp_path):
    server = pooled.server
    # bin/serve migrated through the pooler; nothing is left to apply.
    server.manage("migrate", "--check")
    output = tmp_path / "alice.ndjson"

    summary = server.manage("export_user_memories", "alice", "--output", str(output))

    assert summary == f"Exported {ALICE_ROWS} memories of 'alice' to {output}."
    assert len(output.read_text().splitlines()) == ALICE_ROWS
    # The erasure takes a user of its own: the other test of this module, in whichever order
    # they run, counts everyone else's memories.
    with psycopg.connect(f"{PG_SERVER}/{pooled.database}", autocommit=True) as connection:
        connection.cursor().executemany(
            "INSERT INTO agno_memories (memory_id, memory, user_id, created_at)"
            " VALUES (%s, '\"erase me\"', 'carol', 1)",
            [(f"carol{n}",) for n in range(300)],
        )
    server.manage("erase_user_memories", "carol", "--yes")
    with psycopg.connect(f"{PG_SERVER}/{pooled.database}") as connection:
        left = connection.execute("SELECT user_id, count(*) FROM agno_memories GROUP BY 1")
        counts: dict[str, int] = dict(left.fetchall())
        exports = connection.execute(
            "SELECT count, finished FROM memories_memoryexport ORDER BY id"
        )
        assert exports.fetchall()[-1] == (ALICE_ROWS, True)
    assert "carol" not in counts
    assert sum(counts.values()) == ALICE_ROWS + OTHER_ROWS
