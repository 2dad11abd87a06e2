"""`make run` with its configuration in an env file, and with memory databases that are down:
it starts, warns, and serves the others."""

import os
from collections.abc import Iterator

import pytest
import requests

from tests.conftest import require_db_id
from tests.databases import PG_SERVER
from tests.servers import Server, project_server

INTERNAL_ERROR = {"detail": "Internal server error", "error_code": "INTERNAL_SERVER_ERROR"}
MISSING = "agentos_memories_missing" + os.environ.get("AGENTOS_TEST_DB_SUFFIX", "")


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    return tmp_path_factory.mktemp("down")


@pytest.fixture(scope="module")
def server(folder) -> Iterator[Server]:
    """Served with two memory databases beside `default`: one that works, one whose server is
    not there (a closed port) and, where PostgreSQL runs, one that its server lacks; all of
    them named only in the env file."""
    require_db_id("pg")
    env_file = folder / "memories.env"
    env_file.write_text(
        "AGENTOS_MEMORY_DATABASES="
        f"extra=sqlite:///{folder / 'extra.sqlite3'},"
        "closed=postgres://postgres@127.0.0.1:9/agno,"
        f"missing={PG_SERVER}/{MISSING}\n"
    )
    with project_server(folder, AGENTOS_ENV_FILE=str(env_file)) as running:
        yield running


@pytest.fixture(scope="module")
def admin(server: Server) -> dict[str, str]:
    return server.bearer("operator", admin=True)


def test_the_server_starts_and_warns_about_each_database_it_could_not_migrate(server, folder):
    # What bin/serve logged before it served (requests answered 500 log their tracebacks).
    log = (folder / "server.log").read_text().partition("AgentOS Memories on")[0]

    warnings = [line for line in log.splitlines() if "not migrated" in line]
    assert len(warnings) == 2, log
    assert "WARNING memories.databases memory database closed (db_id closed)" in warnings[0]
    assert "Connection refused" in warnings[0]
    assert "memory database missing (db_id missing)" in warnings[1]
    assert f'database "{MISSING}" does not exist' in warnings[1]
    assert "Traceback" not in log


@pytest.mark.parametrize("db_id", ["closed", "missing"])
def test_a_database_that_is_down_answers_json_500(server, admin, db_id):
    listed = requests.get(f"{server.base}/memories", params={"db_id": db_id}, headers=admin)
    deleted = requests.delete(
        f"{server.base}/memories/m1", params={"db_id": db_id}, headers=admin, timeout=30
    )

    for response in (listed, deleted):
        assert response.status_code == 500
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() == INTERNAL_ERROR


@pytest.mark.parametrize("db_id", ["default", "extra"])
def test_the_other_databases_serve(server, admin, db_id):
    created = requests.post(
        f"{server.base}/memories",
        params={"db_id": db_id},
        json={"memory": "Likes tea", "user_id": "alice"},
        headers=admin,
        timeout=30,
    )
    memory_id = created.json()["memory_id"]
    deleted = requests.delete(
        f"{server.base}/memories/{memory_id}", params={"db_id": db_id}, headers=admin, timeout=30
    )
    listed = requests.get(
        f"{server.base}/memories", params={"db_id": db_id}, headers=admin, timeout=30
    )

    assert created.status_code == 201
    assert deleted.status_code == 204
    assert listed.json()["meta"]["total_count"] == 0
