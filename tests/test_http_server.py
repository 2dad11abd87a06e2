"""The host project under gunicorn on a loopback port, called over real HTTP."""

import json
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.servers import Server, project_server


def seed(database: Path, *rows: tuple[str, str]) -> None:
    now = int(time.time())
    with sqlite3.connect(database) as connection:
        connection.executemany(
            "INSERT INTO agno_memories (memory_id, memory, user_id, topics, created_at,"
            " updated_at) VALUES (?, ?, ?, ?, ?, ?)",
            [
                (memory_id, json.dumps("a memory"), user, "[]", now, now)
                for memory_id, user in rows
            ],
        )


def memory_ids(database: Path) -> set[str]:
    with sqlite3.connect(database) as connection:
        return {row[0] for row in connection.execute("SELECT memory_id FROM agno_memories")}


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("server")


@pytest.fixture(scope="module")
def server(folder) -> Iterator[Server]:
    with project_server(folder) as running:
        seed(folder / "db.sqlite3", ("m1", "alice"), ("m2", "bob"))
        yield running


def test_delete_then_404_over_http(server, folder):
    url = f"{server.base}/memories/m1"

    first = requests.delete(url, headers=server.bearer("alice"), timeout=10)
    second = requests.delete(url, headers=server.bearer("alice"), timeout=10)

    assert first.status_code == 204
    assert first.content == b""
    assert second.status_code == 404
    assert second.headers["Content-Type"] == "application/json"
    assert second.json() == {"detail": "Memory not found", "error_code": "NOT_FOUND"}
    assert memory_ids(folder / "db.sqlite3") == {"m2"}


def test_other_users_and_anonymous_calls_leave_the_row(server, folder):
    url = f"{server.base}/memories/m2"

    foreign = requests.delete(url, headers=server.bearer("alice"), timeout=10)
    anonymous = requests.delete(url, timeout=10)

    assert foreign.status_code == 404
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert anonymous.json()["error_code"] == "UNAUTHENTICATED"
    assert "m2" in memory_ids(folder / "db.sqlite3")


def test_documentation_is_served_offline(server):
    document = requests.get(f"{server.base}/openapi.json", timeout=10)
    assert document.status_code == 200
    assert "/memories/{memory_id}" in document.json()["paths"]
    assert requests.get(f"{server.base}/openapi.yaml", timeout=10).status_code == 200

    for page, asset in (("docs", "swagger-ui-dist"), ("redoc", "redoc")):
        response = requests.get(f"{server.base}/{page}", timeout=10)
        assert response.status_code == 200
        assert "cdn.jsdelivr.net" not in response.text
        assets = [part.split('"')[0] for part in response.text.split('src="')[1:]]
        local = [src for src in assets if asset in src]
        assert local, f"/{page} loads no local {asset} script"
        for src in local:
            assert requests.get(f"{server.base}{src}", timeout=10).status_code == 200, src


def test_admin_carries_the_project_branding(server):
    response = requests.get(f"{server.base}/admin/login/", timeout=10)

    assert response.status_code == 200
    assert "AgentOS Memories administration" in response.text
