"""Served on PostgreSQL, connections are bounded: under WSGI each worker thread keeps its
connection (no setup per request); under ASGI, where Django runs each request's database work
in a thread of its own, a connection lasts one request, so none pile up."""

import os
from collections.abc import Iterator

import psycopg
import pytest
import requests

from tests.conftest import require_db_id
from tests.databases import PG_SERVER as PG
from tests.servers import PostgresDeployment, served_on_postgres

WORKERS = 2
THREADS = 2  # per worker: the application runs on a pinned number of threads
SERVED_BY_ASGI = os.environ.get("AGENTOS_TEST_INTERFACE") == "asgi"


@pytest.fixture(scope="module")
def deployment(tmp_path_factory) -> Iterator[PostgresDeployment]:
    require_db_id("pg")
    folder = tmp_path_factory.mktemp("connections")
    with served_on_postgres(
        folder, "agentos_connections", workers=WORKERS, threads=THREADS
    ) as running:
        yield running


def connections_to(database: str) -> set[tuple[int, object]]:
    """(pid, backend start) of every connection to the database, seen from another one."""
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as observer:
        rows = observer.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE datname = %s", [database]
        ).fetchall()
    return {(row[0], row[1]) for row in rows}


def test_workers_keep_their_connections_across_deletes(deployment):
    database = deployment.database
    ids = [f"c{n:03}" for n in range(60)]
    with (
        psycopg.connect(f"{PG}/{database}", autocommit=True) as connection,
        connection.cursor() as cursor,
    ):
        cursor.executemany(
            "INSERT INTO agno_memories (memory_id, memory, user_id, created_at)"
            " VALUES (%s, '\"kept\"', 'alice', 1)",
            [(memory_id,) for memory_id in [*ids, "spared"]],
        )
    headers = {"Authorization": f"Bearer {deployment.token('alice')}"}

    def delete_all(memory_ids: list[str]) -> None:
        for memory_id in memory_ids:
            response = requests.delete(
                f"{deployment.server.base}/memories/{memory_id}", headers=headers, timeout=30
            )
            assert response.status_code == 204, response.text

    delete_all(ids[:20])
    before = connections_to(database)
    delete_all(ids[20:])
    after = connections_to(database)

    if SERVED_BY_ASGI:
        # A persistent connection per request thread would grow with the requests served.
        assert before == after == set(), (before, after)
    else:
        # Connections closed after each request would leave none open between requests; one
        # opened per request would outnumber the threads.
        assert 1 <= len(after) <= WORKERS * THREADS, after
        assert before <= after, "a connection was replaced while the server kept serving"
    with psycopg.connect(f"{PG}/{database}", autocommit=True) as connection:
        left = connection.execute("SELECT memory_id FROM agno_memories").fetchall()
        audited = connection.execute("SELECT count(*) FROM memories_memorydeletion").fetchone()
    assert left == [("spared",)]
    assert audited == (60,)
