"""The throttle cache failing for real: a private redis-server killed (down) and frozen with
SIGSTOP (stalled), then restored. Requests go on unthrottled by default, with one warning per
outage; MEMORIES["THROTTLE_FAIL_CLOSED"] refuses them with 503; /readyz reports the cache."""

import logging
import threading
from collections.abc import Iterator

import pytest
from django.conf import settings
from django.db import connections
from django.test import override_settings

from memories.throttling import cache_outage
from tests.factories import memory_create
from tests.private_redis import PrivateRedis, private_redis

pytestmark = pytest.mark.django_db(databases="__all__")

RATE = 3  # requests per minute and subject


@pytest.fixture
def redis_cache(tmp_path, throttle_clock_stopped) -> Iterator[PrivateRedis]:
    """The throttle counting in a private redis-server, as the bundled project configures
    Redis: 250 ms to connect and to read each reply; all in one window of its clock."""
    with private_redis(tmp_path) as redis:
        cache = {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": redis.url,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        }
        memories = {**settings.MEMORIES, "THROTTLE_RATE": f"{RATE}/minute"}
        cache_outage.is_out = False  # each test's outage is its first
        with override_settings(CACHES={"default": cache}, MEMORIES=memories):
            yield redis
        cache_outage.is_out = False


@pytest.fixture
def fail_closed(redis_cache) -> Iterator[None]:
    memories = {**settings.MEMORIES, "THROTTLE_FAIL_CLOSED": True}
    with override_settings(MEMORIES=memories):
        yield


def statuses(client, count: int) -> list[int]:
    return [client.get("/memories").status_code for _ in range(count)]


def warnings_of(caplog) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == "memories.throttling" and record.levelno == logging.WARNING
    ]


def test_requests_are_throttled_while_the_cache_answers(as_user, redis_cache):
    assert statuses(as_user("alice"), RATE + 2) == [200] * RATE + [429] * 2


def test_a_cache_that_is_down_lets_requests_through_with_one_warning(as_user, redis_cache, caplog):
    client = as_user("alice")
    memory_create("default", user_id="alice")
    redis_cache.kill()

    with caplog.at_level(logging.INFO, logger="memories.throttling"):
        during = statuses(client, RATE * 3)
        listed = client.get("/memories").json()
        redis_cache.start()  # empty again: the window counts from zero
        after = statuses(client, RATE + 1)

    assert during == [200] * (RATE * 3)
    assert listed["meta"]["total_count"] == 1  # a real answer, not an empty one
    assert warnings_of(caplog) == [
        "throttle cache unavailable (ConnectionError), requests go unthrottled until it answers"
    ]
    assert after == [200] * RATE + [429]
    assert "throttle cache answers again, requests are throttled" in caplog.messages


def test_a_stalled_cache_lets_requests_through_after_its_timeout(as_user, redis_cache, caplog):
    client = as_user("alice")
    answered: list[int] = []

    with redis_cache.frozen():

        def send() -> None:
            try:
                answered.extend(statuses(client, RATE + 2))
            finally:
                connections.close_all()  # this thread's own

        sender = threading.Thread(target=send)
        sender.start()
        # A generous bound, only so that a request waiting for good fails the test instead
        # of hanging it: each cache operation gives up after 250 ms.
        sender.join(timeout=60)
        assert not sender.is_alive()

    assert answered == [200] * (RATE + 2)
    assert warnings_of(caplog) == [
        "throttle cache unavailable (TimeoutError), requests go unthrottled until it answers"
    ]


def test_failing_closed_refuses_requests_with_a_clear_503(as_user, fail_closed, redis_cache):
    client = as_user("alice")
    redis_cache.kill()

    response = client.get("/memories")

    assert response.status_code == 503
    assert response.json() == {
        "detail": "The request rate cannot be checked now; try again later",
        "error_code": "THROTTLE_UNAVAILABLE",
    }


def test_readiness_reports_a_cache_that_is_down_without_failing_open_requests(api, redis_cache):
    redis_cache.kill()

    response = api.get("/readyz")

    assert response.status_code == 200
    assert response.json()["status"] == "degraded"
    assert response.json()["cache"] == "error (ConnectionError)"


def test_readiness_fails_on_a_stalled_cache_when_throttling_fails_closed(
    api, fail_closed, redis_cache
):
    with redis_cache.frozen():
        response = api.get("/readyz")

    assert response.status_code == 503
    body = response.json()
    assert body["detail"] == "Not ready: cache"
    assert body["error_code"] == "NOT_READY"
    assert body["cache"] in ("timeout", "error (TimeoutError)")
    assert set(body["databases"].values()) == {"ok"}
    assert str(redis_cache.port) not in response.content.decode()
