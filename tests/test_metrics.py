"""Prometheus metrics counted in this process (tests/e2e/test_served_metrics.py scrapes a
served instance of several workers): deletions, rows erased, purged and exported, database
errors, request latency by route, and the metrics page itself."""

from io import StringIO

import pytest
from django.core.management import call_command
from django.test import override_settings
from prometheus_client import REGISTRY

from tests.conftest import DOWN, database_down, require_db_id
from tests.factories import memory_create

pytestmark = pytest.mark.django_db(databases="__all__")


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture
def served_metrics(settings):
    settings.MIDDLEWARE = ["memories.metrics.MetricsMiddleware", *settings.MIDDLEWARE]
    settings.MEMORIES = {**settings.MEMORIES, "METRICS_PATH": "/prometheus/metrics"}


def test_deletions_count_by_channel_db_id_and_outcome(as_user, db_id):
    labels = {"channel": "api", "db_id": db_id}
    deleted = value("memories_deletions_total", **labels, outcome="deleted")
    missing = value("memories_deletions_total", **labels, outcome="not_found")
    memory_create(db_id, memory_id="m1", user_id="alice")
    client = as_user("alice")

    client.delete(f"/memories/m1?db_id={db_id}")
    client.delete(f"/memories/m1?db_id={db_id}")

    assert value("memories_deletions_total", **labels, outcome="deleted") == deleted + 1
    assert value("memories_deletions_total", **labels, outcome="not_found") == missing + 1


def test_rows_erased_purged_and_exported(settings):
    erased = value("memories_rows_erased_total", channel="command", db_id="lite")
    purged = value("memories_rows_purged_total", db_id="lite")
    exported = value("memories_rows_exported_total", channel="command", db_id="lite")
    for number in range(3):
        memory_create("lite", memory_id=f"a{number}", user_id="alice", created_at=1)
    memory_create("lite", memory_id="old", user_id="bob", created_at=1, updated_at=1)
    settings.MEMORIES = {**settings.MEMORIES, "RETENTION": [{"db_id": "lite", "max_age_days": 1}]}

    call_command("export_user_memories", "alice", "--db-id", "lite", stdout=StringIO())
    call_command("erase_user_memories", "alice", "--db-id", "lite", "--yes", stdout=StringIO())
    call_command("apply_memory_retention", stdout=StringIO())

    assert value("memories_rows_exported_total", channel="command", db_id="lite") == exported + 3
    assert value("memories_rows_erased_total", channel="command", db_id="lite") == erased + 3
    assert value("memories_rows_purged_total", db_id="lite") == purged + 1


def test_a_database_error_counts_for_the_db_id_the_request_named(as_user):
    require_db_id("pg")
    before = value("memories_database_errors_total", db_id="pg")

    with database_down("pg", **DOWN["closed port"]):
        response = as_user("alice").get("/memories?db_id=pg")

    assert response.status_code == 500
    assert value("memories_database_errors_total", db_id="pg") == before + 1


def test_requests_are_timed_by_route_never_by_path(served_metrics, as_user):
    labels = {"route": "memories/<str:memory_id>", "method": "GET", "status": "404"}
    before = value("memories_request_duration_seconds_count", **labels)
    odd = {"route": "memories/<str:memory_id>", "method": "other", "status": "405"}
    odd_before = value("memories_request_duration_seconds_count", **odd)
    client = as_user("alice")

    client.get("/memories/one")
    client.get("/memories/another")
    client.generic("BREW", "/memories/one")

    assert value("memories_request_duration_seconds_count", **labels) == before + 2
    assert value("memories_request_duration_seconds_count", **odd) == odd_before + 1


def test_the_metrics_page(served_metrics, client):
    page = client.get("/prometheus/metrics")
    posted = client.post("/prometheus/metrics")

    assert page.status_code == 200
    assert page["Content-Type"].startswith("text/plain; version=")
    assert b"# TYPE memories_deletions_total counter" in page.content
    assert posted.status_code == 405


def test_no_metrics_page_unless_a_path_is_set(client):
    with override_settings(MIDDLEWARE=["memories.metrics.MetricsMiddleware"]):
        response = client.get("/prometheus/metrics")

    assert response.status_code == 404
