"""Optional throttling of API calls per token subject (MEMORIES["THROTTLE_RATE"])."""

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from memories.conf import memories_settings
from memories.tokens import TokenPrincipal


class SubjectRateThrottle(SimpleRateThrottle):
    """Counts each token subject's requests; off while THROTTLE_RATE is None."""

    scope = "memories"

    def __init__(self) -> None:
        # The rate is read per request, so override_settings and reloads apply at once.
        self.rate = self.get_rate()
        if self.rate is not None:
            self.num_requests, self.duration = self.parse_rate(self.rate)

    def get_rate(self) -> str | None:
        rate: str | None = memories_settings.THROTTLE_RATE
        return rate

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        if not isinstance(request.user, TokenPrincipal):
            return None
        return self.cache_format % {"scope": self.scope, "ident": request.user.subject}
