"""Served on PostgreSQL: a request whose client has gone leaves no statement running on the
database past MEMORIES["STATEMENT_TIMEOUT"] (AGENTOS_STATEMENT_TIMEOUT)."""

import socket
import time
from urllib.parse import urlsplit

import psycopg

from tests.conftest import require_db_id
from tests.databases import PG_SERVER as PG
from tests.databases import scratch_postgres_database
from tests.servers import project_server

LIMIT = 1.0


def waiting_deletes(database: str) -> list[str]:
    """The DELETEs running on the database, as another connection sees them."""
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as observer:
        rows = observer.execute(
            "SELECT query FROM pg_stat_activity WHERE datname = %s AND state = 'active'"
            " AND query LIKE %s",
            [database, "%DELETE FROM%agno_memories%"],
        ).fetchall()
    return [row[0] for row in rows]


def test_a_delete_whose_client_went_away_stops_within_the_limit(tmp_path):
    require_db_id("pg")
    with (
        scratch_postgres_database("agentos_statement_limit") as database,
        project_server(
            tmp_path,
            DATABASE_URL=f"{PG}/{database}",
            WEB_CONCURRENCY="1",
            AGENTOS_STATEMENT_TIMEOUT=str(LIMIT),
        ) as server,
        psycopg.connect(f"{PG}/{database}") as holder,
    ):
        holder.execute(
            "INSERT INTO agno_memories (memory_id, memory, user_id, created_at)"
            " VALUES ('locked', '\"kept\"', 'alice', 1)"
        )
        holder.commit()
        holder.execute("SELECT 1 FROM agno_memories WHERE memory_id = 'locked' FOR UPDATE")
        token = server.bearer("alice")["Authorization"]
        address = urlsplit(server.base)

        # A client that sends its DELETE and goes away before any answer.
        with socket.create_connection((address.hostname, address.port)) as client:
            client.sendall(
                f"DELETE /memories/locked HTTP/1.1\r\nHost: {address.netloc}\r\n"
                f"Authorization: {token}\r\nContent-Length: 0\r\n\r\n".encode()
            )
            deadline = time.monotonic() + 10
            while not waiting_deletes(database):
                assert time.monotonic() < deadline, "the DELETE never reached the database"
                time.sleep(0.05)
        gone_at = time.monotonic()

        while waiting_deletes(database):
            assert time.monotonic() - gone_at < LIMIT + 3, "the DELETE kept waiting"
            time.sleep(0.05)
        stopped_after = time.monotonic() - gone_at
        holder.rollback()  # the lock is held until now: without a limit, the DELETE waits
        left = holder.execute("SELECT memory_id FROM agno_memories").fetchall()

    assert stopped_after <= LIMIT + 3
    assert left == [("locked",)]
