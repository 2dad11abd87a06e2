"""Prometheus metrics scraped from the project served with two worker processes: the counts
of every worker add up (prometheus-client's multiprocess mode, set up by bin/serve)."""

import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import requests

from tests.servers import Server, project_server

DELETED = 12
MISSING = 5


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[Server]:
    folder = tmp_path_factory.mktemp("metrics")
    with project_server(
        folder, WEB_CONCURRENCY="2", PROMETHEUS_MULTIPROC_DIR=str(folder / "metrics")
    ) as server:
        yield server


def sample(text: str, name: str, **labels: str) -> float:
    """The value of one sample of the exposition text (0 when absent)."""
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match[1].split(","))) == wanted:
            return float(match[2])
    return 0.0


def test_deletions_of_every_worker_add_up_in_each_scrape(served):
    served_folder = Path(served.env["PROMETHEUS_MULTIPROC_DIR"])
    admin = served.bearer("operator", admin=True)
    base = served.base
    created = [
        requests.post(
            f"{base}/memories", json={"memory": f"m{n}", "user_id": "alice"}, headers=admin
        ).json()["memory_id"]
        for n in range(DELETED)
    ]

    def delete(memory_id: str) -> int:
        return requests.delete(f"{base}/memories/{memory_id}", headers=admin).status_code

    # Concurrent, fresh connections: both workers serve some of them.
    with ThreadPoolExecutor(4) as pool:
        statuses = list(pool.map(delete, created + [f"missing-{n}" for n in range(MISSING)]))
    exported = requests.get(f"{base}/memory_export", headers=admin)
    scrapes = [requests.get(f"{base}/prometheus/metrics").text for _ in range(6)]

    assert statuses == [204] * DELETED + [404] * MISSING
    assert exported.status_code == 200 and exported.text == ""
    # The test's premise: both workers counted some (each writes files named by its pid).
    pids = {re.sub(r"\D", "", path.name) for path in served_folder.glob("counter_*.db")}
    assert len(pids) >= 2, pids
    for text in scrapes:
        deletions = "memories_deletions_total"
        api = {"channel": "api", "db_id": "default"}
        assert sample(text, deletions, **api, outcome="deleted") == DELETED
        assert sample(text, deletions, **api, outcome="not_found") == MISSING
        latency = "memories_request_duration_seconds_count"
        route = {"route": "memories/<str:memory_id>", "method": "DELETE"}
        assert sample(text, latency, **route, status="204") == DELETED
        assert sample(text, latency, **route, status="404") == MISSING
        assert sample(text, latency, route="memories", method="POST", status="201") == DELETED


def test_metrics_can_be_turned_off(tmp_path):
    with project_server(tmp_path, AGENTOS_METRICS_PATH="off") as server:
        response = requests.get(f"{server.base}/prometheus/metrics")

    assert response.status_code == 404
