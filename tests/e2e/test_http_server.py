"""The host project under granian on a loopback port, called over real HTTP."""

import contextlib
import json
import re
import sqlite3
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import jwt
import pytest
import requests

from tests.servers import Server, project_server

NOT_FOUND = {"detail": "Memory not found", "error_code": "NOT_FOUND"}
NO_TOKEN = {
    "detail": "Authentication credentials were not provided.",
    "error_code": "UNAUTHENTICATED",
}


def seed(database: Path, *owners: str) -> list[str]:
    """One memory per owner, every Agno column filled in, written with sqlite3 directly."""
    now = int(time.time())
    rows = [
        (
            str(uuid.uuid4()),
            json.dumps(f"{owner} likes tea"),
            f"Remember that {owner} likes tea",
            "agent-1",
            "team-1",
            owner,
            json.dumps(["drinks"]),
            "useful",
            now,
            now,
        )
        for owner in owners
    ]
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        connection.executemany(
            "INSERT INTO agno_memories (memory_id, memory, input, agent_id, team_id, user_id,"
            " topics, feedback, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
    return [row[0] for row in rows]


def memory_ids(database: Path) -> set[str]:
    connection = sqlite3.connect(database)
    try:
        return {row[0] for row in connection.execute("SELECT memory_id FROM agno_memories")}
    finally:
        connection.close()


def audit_of(database: Path, memory_id: str) -> list[tuple[str, str, str, str, str, str, int]]:
    connection = sqlite3.connect(database)
    try:
        return connection.execute(
            "SELECT actor, channel, db_id, table_name, memory_ids, user_ids, count"
            " FROM memories_memorydeletion WHERE memory_ids = ?",
            [json.dumps([memory_id])],
        ).fetchall()
    finally:
        connection.close()


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("server")


@pytest.fixture(scope="module")
def database(folder):
    return folder / "db.sqlite3"


@pytest.fixture(scope="module")
def server(folder) -> Iterator[Server]:
    # Migrates the SQLite file named by DATABASE_URL, collects the static files (as `make run`
    # does at each start; the docs pages' test below reads them), then runs granian (2
    # workers) until the module is done; the context manager terminates it even when a test
    # fails.
    with project_server(folder, DJANGO_STATIC_ROOT=str(folder / "static")) as running:
        yield running


@pytest.fixture(scope="module")
def tokens(server) -> dict[str, dict[str, str]]:
    """Authorization headers from `manage.py issue_token`, signed with the server's key."""
    return {
        "alice": server.bearer("alice"),
        "bob": server.bearer("bob"),
        "admin": server.bearer("operator", admin=True),
    }


@pytest.fixture
def memories(server, database) -> Iterator[dict[str, str]]:
    """A memory of alice and one of bob; the table is emptied afterwards."""
    alice, bob = seed(database, "alice", "bob")
    yield {"alice": alice, "bob": bob}
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        connection.execute("DELETE FROM agno_memories")


def delete(server, memory_id, headers=None, **params) -> requests.Response:
    return requests.delete(
        f"{server.base}/memories/{memory_id}", headers=headers, params=params, timeout=30
    )


def test_delete_removes_the_memory_then_answers_404(server, tokens, memories, database):
    first = delete(server, memories["alice"], tokens["alice"])
    second = delete(server, memories["alice"], tokens["alice"])

    assert first.status_code == 204
    assert first.content == b""
    assert second.status_code == 404
    assert second.headers["Content-Type"] == "application/json"
    assert second.json() == NOT_FOUND
    assert memory_ids(database) == {memories["bob"]}
    assert audit_of(database, memories["alice"]) == [
        (
            "alice",
            "api",
            "default",
            "agno_memories",
            json.dumps([memories["alice"]]),
            '["alice"]',
            1,
        )
    ]


def test_delete_of_another_users_memory_is_404_and_keeps_it(server, tokens, memories, database):
    response = delete(server, memories["bob"], tokens["alice"])

    assert response.status_code == 404
    assert response.json() == NOT_FOUND
    assert memory_ids(database) == {memories["alice"], memories["bob"]}
    assert audit_of(database, memories["bob"]) == []


def test_delete_without_token_is_401_and_keeps_the_memory(server, memories, database):
    response = delete(server, memories["alice"])

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json() == NO_TOKEN
    assert memory_ids(database) == {memories["alice"], memories["bob"]}


def test_delete_with_a_token_signed_by_another_key_is_401(server, memories, database):
    # The claims issue_token would write, signed with a key the server does not know.
    now = int(time.time())
    forged = jwt.encode({"sub": "alice", "exp": now + 300}, uuid.uuid4().hex * 2, "HS256")

    response = delete(server, memories["alice"], {"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == "Bearer"
    assert response.json()["error_code"] == "UNAUTHENTICATED"
    assert memory_ids(database) == {memories["alice"], memories["bob"]}


def test_admin_deletes_any_memory_but_user_id_narrows_it(server, tokens, memories, database):
    narrowed = delete(server, memories["bob"], tokens["admin"], user_id="alice")
    deleted = delete(server, memories["bob"], tokens["admin"], user_id="bob")

    assert narrowed.status_code == 404
    assert narrowed.json() == NOT_FOUND
    assert deleted.status_code == 204
    assert memory_ids(database) == {memories["alice"]}
    assert audit_of(database, memories["bob"]) == [
        (
            "operator",
            "api",
            "default",
            "agno_memories",
            json.dumps([memories["bob"]]),
            '["bob"]',
            1,
        )
    ]


def test_openapi_document_is_served(server):
    document = requests.get(f"{server.base}/openapi.json", timeout=30)
    yaml_document = requests.get(f"{server.base}/openapi.yaml", timeout=30)

    assert document.status_code == 200
    body = document.json()
    assert body["openapi"] == "3.1.0"
    assert body["paths"]["/memories/{memory_id}"]["delete"]["operationId"] == "delete_memory"
    assert yaml_document.status_code == 200
    assert "operationId: delete_memory" in yaml_document.text


@pytest.mark.parametrize(
    ("page", "assets"),
    [
        ("docs", {"swagger-ui-bundle", "swagger-ui-standalone-preset", "swagger-ui.", "favicon"}),
        ("redoc", {"redoc.standalone"}),
    ],
)
def test_documentation_pages_load_only_local_static_files(server, page, assets):
    response = requests.get(f"{server.base}/{page}", timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("text/html")
    assert "/openapi.json" in response.text
    references = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    # Served offline: nothing from a CDN or a font service, everything from /static/.
    assert references
    assert [ref for ref in references if not ref.startswith("/static/")] == []
    for asset in assets:
        assert any(asset in ref for ref in references), f"/{page} does not load {asset}"
    for ref in references:
        static = requests.get(f"{server.base}{ref}", timeout=30)
        assert static.status_code == 200, ref
        assert static.content, ref


def test_admin_carries_the_project_branding(server):
    response = requests.get(f"{server.base}/admin/login/", timeout=30)

    assert response.status_code == 200
    assert "AgentOS Memories administration" in response.text
