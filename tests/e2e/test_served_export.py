"""The export streams with flat memory, served by WSGI and by ASGI alike (make test serves the
project both ways): Django's ASGI handler would read a synchronous iterator whole before
sending a byte (memories/export_streams.py)."""

import json
import sqlite3
import time
from collections.abc import Iterator
from contextlib import closing
from pathlib import Path

import pytest
import requests

from tests.servers import Server, process_tree, project_server

ROWS = 60_000
TEXT = "remembers " * 40  # 400 characters: about 34 MB of export in all


def seed(database: Path) -> None:
    now = int(time.time())
    with closing(sqlite3.connect(database)) as connection, connection:
        connection.executemany(
            "INSERT INTO agno_memories (memory_id, memory, user_id, topics, created_at)"
            " VALUES (?, ?, 'alice', '[]', ?)",
            ((f"m{number:06}", json.dumps(TEXT), now) for number in range(ROWS)),
        )


def peak_rss_kib(pid: int) -> int:
    """The process's resident-memory high-water mark (VmHWM): never lower after a peak."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1])
    raise AssertionError(f"no VmHWM for {pid}")


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Server, Path]]:
    # Served as every served test of this run is (AGENTOS_TEST_INTERFACE: make test's first
    # pass by WSGI, its second by ASGI).
    folder = tmp_path_factory.mktemp("export")
    with project_server(folder, WEB_CONCURRENCY="1") as server:
        seed(folder / "db.sqlite3")
        yield server, folder


def test_the_export_streams_with_flat_memory(served):
    server, folder = served
    headers = server.bearer("alice")
    # A first, small export loads what any export needs: the measure is of the rows alone.
    warm_up = requests.get(f"{server.base}/memory_export", headers=server.bearer("bob"))
    assert warm_up.status_code == 200 and warm_up.content == b""
    before = {pid: peak_rss_kib(pid) for pid in process_tree(server.pid)}

    size = lines = 0
    with requests.get(
        f"{server.base}/memory_export", headers=headers, stream=True, timeout=300
    ) as response:
        assert response.status_code == 200
        for chunk in response.iter_content(64 * 1024):
            size += len(chunk)
            lines += chunk.count(b"\n")

    assert lines == ROWS
    growth = max(peak_rss_kib(pid) - peak for pid, peak in before.items()) * 1024
    # Buffered, the worker would hold the whole export (and its list of chunks) at once.
    # Streamed, it holds a batch of rows and a chunk (about 10 MB here), whatever the size.
    print(f"peak growth {growth} bytes for {size} bytes exported")
    assert growth < size / 2, (growth, size)


def exports_recorded(database: Path) -> int:
    with closing(sqlite3.connect(database)) as connection:
        return int(connection.execute("SELECT count(*) FROM memories_memoryexport").fetchone()[0])


def test_head_reads_no_row_and_records_no_export(served):
    # Served by WSGI and by ASGI, the body of a HEAD is dropped by the server, not by Django:
    # a HEAD answered as a GET read all of alice's rows and recorded their export.
    server, folder = served
    before = exports_recorded(folder / "db.sqlite3")

    response = requests.head(f"{server.base}/memory_export", headers=server.bearer("alice"))

    assert response.status_code == 200 and response.content == b""
    assert response.headers["Content-Type"] == "application/x-ndjson"
    assert exports_recorded(folder / "db.sqlite3") == before
