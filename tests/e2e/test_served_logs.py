"""The served project's logs with AGENTOS_LOG_FORMAT=json: every line granian and the project
write once serving is one JSON object; each line of a request carries its X-Request-ID; a
memory database that is down logs one ERROR line per request, its traceback once."""

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests

from tests.servers import Server, project_server


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[tuple[Server, str]]:
    folder = tmp_path_factory.mktemp("logs")
    with project_server(
        folder,
        AGENTOS_LOG_FORMAT="json",
        # One worker: each process shows a cause's traceback once a minute.
        WEB_CONCURRENCY="1",
        AGENTOS_MEMORY_DATABASES="closed=postgres://postgres@127.0.0.1:9/agno",
    ) as server:
        yield server, str(folder / "server.log")


def served_lines(log_path: str) -> list[str]:
    """What was written once bin/serve handed over to granian (its banner is not a log)."""
    text = Path(log_path).read_text()
    return [line for line in text.partition('MEMORY_ID"\n\n')[2].splitlines() if line]


def test_every_line_is_json_with_the_request_id(served):
    server, log_path = served
    token = server.bearer("alice")
    for number in range(3):
        response = requests.get(
            f"{server.base}/memories",
            params={"db_id": "closed"},
            headers={**token, "X-Request-ID": f"req-{number}"},
        )
        assert response.status_code == 500
        assert response.headers["X-Request-ID"] == f"req-{number}"
    requests.get(f"{server.base}/health", headers={"X-Request-ID": "bad id"})

    records = [json.loads(line) for line in served_lines(log_path)]  # each line parses
    errors = [r for r in records if r["level"] == "ERROR" and r["request_id"] is not None]
    access = {r["request_id"]: r for r in records if r["logger"] == "agentos.access"}

    assert any(r["logger"] == "_granian" for r in records)  # granian's own lines too
    assert [(r["request_id"], r["logger"], r["db_id"]) for r in errors] == [
        (f"req-{n}", "memories.api", "closed") for n in range(3)
    ]
    assert all(r["message"].startswith("database closed failed: ") for r in errors)
    assert ["exception" in r for r in errors] == [True, False, False]
    assert "Traceback" in errors[0]["exception"]
    for number in range(3):
        assert access[f"req-{number}"]["status"] == 500
        assert access[f"req-{number}"]["path"] == "/memories"
    health = [r for r in access.values() if r["path"] == "/health"]
    assert len(health) == 1 and len(health[0]["request_id"]) == 32  # a new id
