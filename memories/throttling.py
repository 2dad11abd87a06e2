"""Optional throttling of API calls per token subject (MEMORIES["THROTTLE_RATE"])."""

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from memories.conf import memories_settings
from memories.tokens import TokenPrincipal


class SubjectRateThrottle(SimpleRateThrottle):
    """Counts each token subject's requests; off while THROTTLE_RATE is None.

    At most N requests per subject in each window of the rate's duration (a minute of the
    clock for "N/minute"), counted with the cache's atomic increment: concurrent requests,
    in several processes or on several machines sharing the cache (Redis, Memcached), never
    get past the limit. DRF's own throttle reads a request history, appends to it and writes
    it back, so concurrent requests overwrite each other's and more than N get through.
    Note: a fixed window lets a subject send N at the end of one window and N at the start
    of the next; the cache must increment atomically (Django's database cache does not).
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
        key = f"{key}:{window}"
        # Kept a little past its window: a clock a second behind still finds it.
        self.cache.add(key, 0, duration + 1)
        try:
            count = int(self.cache.incr(key))
        except ValueError:  # evicted between add and incr: this request starts it again
            self.cache.add(key, 1, duration + 1)
            count = 1
        if count <= self.num_requests:
            return True
        self.wait_seconds = (window + 1) * duration - now
        return False

    def wait(self) -> float:
        return self.wait_seconds
