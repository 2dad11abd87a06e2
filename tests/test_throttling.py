"""SubjectRateThrottle: at most N requests per token subject and window, counted in the cache."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.cache import cache
from django.test import override_settings
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from memories.throttling import SubjectRateThrottle
from memories.tokens import TokenPrincipal
from tests.conftest import memories_with

MINUTE_START = 120.0  # the clock at the start of a window of "N/minute"


@pytest.fixture
def shared_cache():
    """A cache of its own, as this process's throttles share it (tests/e2e/ shares Redis
    between two served instances)."""
    config = {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "throttling"}
    with override_settings(CACHES={"default": config}):
        yield cache
        cache.clear()


def request_by(subject: str | None) -> Request:
    request = Request(APIRequestFactory().get("/memories"))
    if subject is not None:
        request.user = TokenPrincipal(subject=subject)  # type: ignore[assignment]  # stubs: users only
    return request


def throttle_at(now: float, rate: str | None = "3/minute") -> SubjectRateThrottle:
    """A new throttle, as each request (in any process) makes one, reading a fixed clock: the
    window a request falls in is chosen without waiting for the real clock to get there."""
    with override_settings(MEMORIES=memories_with(THROTTLE_RATE=rate)):
        throttle = SubjectRateThrottle()
    throttle.timer = lambda: now
    return throttle


def test_n_requests_per_window_then_the_seconds_left_to_wait(shared_cache):
    now = MINUTE_START + 45
    allowed = [throttle_at(now).allow_request(request_by("alice"), None) for _ in range(3)]
    refused = throttle_at(now)

    assert allowed == [True, True, True]
    assert refused.allow_request(request_by("alice"), None) is False
    assert refused.wait() == 15
    assert shared_cache.get("throttle_memories_alice:2") == 4


def test_the_next_window_counts_from_zero(shared_cache):
    for _ in range(4):
        throttle_at(MINUTE_START + 59).allow_request(request_by("alice"), None)

    assert throttle_at(MINUTE_START + 60).allow_request(request_by("alice"), None) is True
    assert shared_cache.get("throttle_memories_alice:3") == 1


def test_each_subject_counts_apart_and_no_principal_is_not_counted(shared_cache):
    for _ in range(3):
        throttle_at(MINUTE_START).allow_request(request_by("alice"), None)

    assert throttle_at(MINUTE_START).allow_request(request_by("bob"), None) is True
    assert throttle_at(MINUTE_START).allow_request(request_by(None), None) is True
    assert shared_cache.get("throttle_memories_bob:2") == 1
    assert shared_cache.get("throttle_memories_alice:2") == 3


def test_off_without_a_rate_and_counts_nothing(shared_cache):
    throttle = throttle_at(MINUTE_START, rate=None)

    assert all(throttle.allow_request(request_by("alice"), None) for _ in range(10))
    assert shared_cache.get("throttle_memories_alice:2") is None


def test_concurrent_requests_never_get_past_the_limit(shared_cache):
    start = threading.Barrier(12)

    def one_request(_: int) -> bool:
        throttle = throttle_at(MINUTE_START)
        start.wait()
        return throttle.allow_request(request_by("alice"), None)

    with ThreadPoolExecutor(max_workers=12) as pool:
        answers = list(pool.map(one_request, range(12)))

    assert answers.count(True) == 3
    assert shared_cache.get("throttle_memories_alice:2") == 12
