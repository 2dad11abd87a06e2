"""The host project under gunicorn on a loopback port, called over real HTTP."""

import json
import os
import secrets
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parent.parent
GUNICORN = Path(sys.executable).with_name("gunicorn")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    return result.stdout.strip()


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
def server(tmp_path_factory) -> Iterator[dict]:
    folder = tmp_path_factory.mktemp("server")
    database = folder / "db.sqlite3"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AGENTOS_", "DATABASE_URL"))
    }
    env.update(
        DJANGO_SETTINGS_MODULE="agentos.settings",
        DATABASE_URL=f"sqlite:///{database}",
        AGENTOS_JWT_SIGNING_KEY=secrets.token_urlsafe(48),
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        DJANGO_STATIC_ROOT=str(folder / "static"),
    )
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    seed(database, ("m1", "alice"), ("m2", "bob"))
    port = free_port()
    log = (folder / "gunicorn.log").open("wb")
    process = subprocess.Popen(
        [str(GUNICORN), "agentos.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "2"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                requests.get(f"{base}/openapi.json", timeout=1)
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        else:
            pytest.fail(f"gunicorn did not start: {(folder / 'gunicorn.log').read_text()}")
        yield {"base": base, "env": env, "database": database}
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()


def bearer(server: dict, subject: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {manage(server['env'], 'issue_token', subject)}"}


def test_delete_then_404_over_http(server):
    url = f"{server['base']}/memories/m1"

    first = requests.delete(url, headers=bearer(server, "alice"), timeout=10)
    second = requests.delete(url, headers=bearer(server, "alice"), timeout=10)

    assert first.status_code == 204
    assert first.content == b""
    assert second.status_code == 404
    assert second.headers["Content-Type"] == "application/json"
    assert second.json() == {"detail": "Memory not found", "error_code": "NOT_FOUND"}
    assert memory_ids(server["database"]) == {"m2"}


def test_other_users_and_anonymous_calls_leave_the_row(server):
    url = f"{server['base']}/memories/m2"

    foreign = requests.delete(url, headers=bearer(server, "alice"), timeout=10)
    anonymous = requests.delete(url, timeout=10)

    assert foreign.status_code == 404
    assert anonymous.status_code == 401
    assert anonymous.headers["WWW-Authenticate"] == "Bearer"
    assert anonymous.json()["error_code"] == "UNAUTHENTICATED"
    assert "m2" in memory_ids(server["database"])


def test_documentation_is_served_offline(server):
    document = requests.get(f"{server['base']}/openapi.json", timeout=10)
    assert document.status_code == 200
    assert "/memories/{memory_id}" in document.json()["paths"]
    assert requests.get(f"{server['base']}/openapi.yaml", timeout=10).status_code == 200

    for page, asset in (("docs", "swagger-ui-dist"), ("redoc", "redoc")):
        response = requests.get(f"{server['base']}/{page}", timeout=10)
        assert response.status_code == 200
        assert "cdn.jsdelivr.net" not in response.text
        assets = [part.split('"')[0] for part in response.text.split('src="')[1:]]
        local = [src for src in assets if asset in src]
        assert local, f"/{page} loads no local {asset} script"
        for src in local:
            assert requests.get(f"{server['base']}{src}", timeout=10).status_code == 200, src
