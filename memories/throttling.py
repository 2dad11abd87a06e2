"""Optional throttling of API calls per token subject (MEMORIES["THROTTLE_RATE"])."""

import logging
import threading
from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from memories.conf import memories_settings
from memories.exceptions import ThrottleUnavailable
from memories.tokens import TokenPrincipal

logger = logging.getLogger(__name__)


class CacheOutage:
    """Whether the throttle cache is failing, as this process last found it: one WARNING
    when an outage begins, one INFO when it ends, nothing per request in between."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.is_out = False

    def failed(self, error: Exception) -> None:
        with self._lock:
            began, self.is_out = not self.is_out, True
        if began:
            logger.warning(
                "throttle cache unavailable (%s), requests %s until it answers",
                type(error).__name__,
                "refused" if memories_settings.THROTTLE_FAIL_CLOSED else "go unthrottled",
            )

    def answered(self) -> None:
        if not self.is_out:
            return
        with self._lock:
            ended, self.is_out = self.is_out, False
        if ended:
            logger.info("throttle cache answers again, requests are throttled")


cache_outage = CacheOutage()


class SubjectRateThrottle(SimpleRateThrottle):
    """Counts each token subject's requests; off while THROTTLE_RATE is None.

    At most N requests per subject in each window of the rate's duration (a minute of the
    clock for "N/minute"), counted with the cache's atomic increment: concurrent requests,
    in several processes or on several machines sharing the cache (Redis, Memcached), never
    get past the limit. DRF's own throttle reads a request history, appends to it and writes
    it back, so concurrent requests overwrite each other's and more than N get through.
    Note: a fixed window lets a subject send N at the end of one window and N at the start
    of the next; the cache must increment atomically (Django's database cache does not).
    A cache that fails lets requests through unthrottled (MEMORIES["THROTTLE_FAIL_CLOSED"]
    refuses them with 503 instead), after its client's timeouts.
    """

    scope = "memories"

    def __init__(self) -> None:
        # The rate is read per request, so override_settings and reloads apply at once.
        self.rate = self.get_rate()
        if self.rate is not None:
            self.num_requests, self.duration = self.parse_rate(self.rate)
        self.wait_seconds = 0.0

    def get_rate(self) -> str | None:
        rate: str | None = memories_settings.THROTTLE_RATE
        return rate

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.user, TokenPrincipal):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.subject}

    def allow_request(self, request: Request, view: Any) -> bool:
        key = self.get_cache_key(request, view)
        if self.rate is None or key is None or not self.num_requests or not self.duration:
            return True
        duration, now = self.duration, self.timer()
        window = int(now // duration)
        try:
            count = self.count_request(f"{key}:{window}", duration)
        except Exception as error:
            # A cache down or stalled (each operation bounded by the cache's own timeouts):
            # its driver's errors share no base class, so any error here is the cache's.
            cache_outage.failed(error)
            if memories_settings.THROTTLE_FAIL_CLOSED:
                raise ThrottleUnavailable() from error
            return True
        cache_outage.answered()
        if count <= self.num_requests:
            return True
        self.wait_seconds = (window + 1) * duration - now
        return False

    def count_request(self, key: str, duration: int) -> int:
        """This request's number in its window."""
        # Kept a little past its window: a clock a second behind still finds it.
        self.cache.add(key, 0, duration + 1)
        try:
            return int(self.cache.incr(key))
        except ValueError:  # evicted between add and incr: this request starts it again
            self.cache.add(key, 1, duration + 1)
            return 1

    def wait(self) -> float:
        return self.wait_seconds
