"""Exports served by the real server to clients that stop reading: they hold at most
EXPORT_MAX_CONCURRENT of a worker's threads, the other requests are answered meanwhile, and
each cut export records the rows it sent."""

import contextlib
import json
import socket
import sqlite3
import time
from collections.abc import Iterator

import pytest
import requests

from tests.servers import Server, project_server

ROWS = 30_000  # about 12 MB: far more than the socket buffers hold


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    folder = tmp_path_factory.mktemp("exports")
    with project_server(
        folder,
        WEB_CONCURRENCY="1",
        AGENTOS_BLOCKING_THREADS="3",
        AGENTOS_EXPORT_MAX_CONCURRENT="2",
    ) as server:
        database = str(folder / "db.sqlite3")
        with contextlib.closing(sqlite3.connect(database)) as connection, connection:
            connection.executemany(
                "INSERT INTO agno_memories (memory_id, memory, user_id, created_at)"
                " VALUES (?, ?, 'alice', 1)",
                ((f"m{n:06}", json.dumps("x" * 400)) for n in range(ROWS)),
            )
        yield server, database


def stalled_export(server: Server, token: str) -> socket.socket:
    """An export whose client reads the status line and then nothing more."""
    sock = socket.create_connection(("127.0.0.1", int(server.env["PORT"])), timeout=30)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = f"GET /memory_export HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: {token}\r\n"
    sock.sendall(f"{request}\r\n".encode())
    assert sock.recv(12) == b"HTTP/1.1 200"
    return sock


def exports_recorded(database: str) -> list[tuple[int, int]]:
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        return connection.execute(
            "SELECT count, finished FROM memories_memoryexport ORDER BY id"
        ).fetchall()


def test_clients_that_stop_reading_hold_no_more_than_the_export_limit(served):
    server, database = served
    token = server.bearer("alice")["Authorization"]
    stalled = [stalled_export(server, token) for _ in range(2)]

    refused = requests.get(f"{server.base}/memory_export", headers={"Authorization": token})
    # The worker's third thread still answers everything else.
    listed = requests.get(f"{server.base}/memories?limit=1", headers={"Authorization": token})
    for sock in stalled:
        sock.close()
    # The server notices each client gone at its next write; then the export's place is free.
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        after = requests.get(f"{server.base}/memory_export", headers={"Authorization": token})
        if after.status_code == 200:
            break
        time.sleep(0.2)

    assert refused.status_code == 503
    assert refused.json()["error_code"] == "EXPORTS_BUSY"
    assert listed.status_code == 200
    assert listed.json()["meta"]["total_count"] == ROWS
    assert after.status_code == 200
    assert len(after.content.splitlines()) == ROWS
    records = exports_recorded(database)
    assert records[-1] == (ROWS, 1)
    cut = records[:2]
    # Each cut export recorded what it had handed to the server before its client stopped:
    # more than nothing, less than everything.
    assert all(not finished and 0 < count < ROWS for count, finished in cut), records
