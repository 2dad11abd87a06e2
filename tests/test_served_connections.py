"""Served on PostgreSQL, each worker keeps one connection: no connection setup per request."""

import secrets
import time
from collections.abc import Iterator

import jwt
import psycopg
import pytest
import requests

from tests.conftest import require_db_id
from tests.databases import PG_SERVER as PG
from tests.databases import scratch_postgres_database
from tests.servers import Server, project_server

WORKERS = 2


@pytest.fixture(scope="module")
def database() -> Iterator[str]:
    require_db_id("pg")
    with scratch_postgres_database("agentos_connections") as name:
        yield name


@pytest.fixture(scope="module")
def signing_key() -> str:
    return secrets.token_urlsafe(48)


@pytest.fixture(scope="module")
def server(database, signing_key, tmp_path_factory) -> Iterator[Server]:
    with project_server(
        tmp_path_factory.mktemp("connections"),
        DATABASE_URL=f"{PG}/{database}",
        AGENTOS_JWT_SIGNING_KEY=signing_key,
        WEB_CONCURRENCY=str(WORKERS),
    ) as running:
        yield running


def connections_to(database: str) -> set[tuple[int, object]]:
    """(pid, backend start) of every connection to the database, seen from another one."""
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as observer:
        rows = observer.execute(
            "SELECT pid, backend_start FROM pg_stat_activity WHERE datname = %s", [database]
        ).fetchall()
    return {(row[0], row[1]) for row in rows}


def test_workers_keep_their_connections_across_deletes(server, database, signing_key):
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
    now = int(time.time())
    token = jwt.encode({"sub": "alice", "iat": now, "exp": now + 600}, signing_key, "HS256")
    headers = {"Authorization": f"Bearer {token}"}

    def delete_all(memory_ids: list[str]) -> None:
        for memory_id in memory_ids:
            response = requests.delete(
                f"{server.base}/memories/{memory_id}", headers=headers, timeout=30
            )
            assert response.status_code == 204, response.text

    delete_all(ids[:20])
    before = connections_to(database)
    delete_all(ids[20:])
    after = connections_to(database)

    # Connections closed after each request would leave none open between requests.
    assert 1 <= len(after) <= WORKERS, after
    assert before <= after, "a connection was replaced while the server kept serving"
    with psycopg.connect(f"{PG}/{database}", autocommit=True) as connection:
        left = connection.execute("SELECT memory_id FROM agno_memories").fetchall()
        audited = connection.execute("SELECT count(*) FROM memories_memorydeletion").fetchone()
    assert left == [("spared",)]
    assert audited == (60,)
