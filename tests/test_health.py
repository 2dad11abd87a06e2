"""GET /health (alive, no I/O) and GET /readyz (every database and the cache answer)."""

import datetime

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext

from tests.conftest import DOWN, SERVER_DB_IDS, database_down, require_db_id

pytestmark = pytest.mark.django_db(databases="__all__")


def test_health_answers_as_agno_without_any_query(api):
    captured = [CaptureQueriesContext(connections[alias]) for alias in connections]
    for context in captured:
        context.__enter__()
    try:
        first = api.get("/health")
        second = api.get("/health/")
    finally:
        for context in captured:
            context.__exit__(None, None, None)

    assert first.status_code == 200
    assert first["Content-Type"] == "application/json"
    body = first.json()
    assert set(body) == {"status", "instantiated_at"}
    assert body["status"] == "ok"
    started = datetime.datetime.fromisoformat(body["instantiated_at"])
    assert started.tzinfo is not None
    assert started <= datetime.datetime.now(datetime.UTC)
    assert second.json() == body  # the process's start, not the request's time
    assert [query for context in captured for query in context.captured_queries] == []


def test_health_needs_no_token_and_ignores_a_bad_one(api):
    response = api.get("/health", HTTP_AUTHORIZATION="Bearer not-a-token")

    assert response.status_code == 200


def test_health_refuses_other_methods_in_the_api_shape(api):
    response = api.post("/health")

    assert response.status_code == 405
    assert response.json()["error_code"] == "METHOD_NOT_ALLOWED"


def test_readiness_is_ok_when_every_database_and_the_cache_answer(api):
    response = api.get("/readyz")

    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "databases": dict.fromkeys(connections.settings, "ok"),
        "cache": "ok",
    }


@pytest.mark.parametrize("how", DOWN)
@pytest.mark.parametrize("db_id", SERVER_DB_IDS)
def test_readiness_names_a_database_that_is_down_and_no_secret(api, db_id, how):
    require_db_id(db_id)
    with database_down(db_id, **DOWN[how]):
        response = api.get("/readyz")
    after = api.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["error_code"] == "NOT_READY"
    assert body["detail"] == f"Not ready: database {db_id}"
    assert body["status"] == "unavailable"
    assert body["databases"][db_id] == "error (OperationalError)"
    assert {other for other, state in body["databases"].items() if state != "ok"} == {db_id}
    settings_dict = connections[db_id].settings_dict
    for secret in ("127.0.0.1", settings_dict["USER"], "agentos_memories_missing", ":9"):
        assert secret not in response.content.decode()
    # Back once the database is.
    assert after.status_code == 200
