"""Bearer tokens already verified in this process: a token sent again skips decoding and the
signature check, never the expiry check."""

import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from django.core.signals import setting_changed

from memories.tokens import BearerToken, TokenPrincipal, token_backend

# Tokens remembered per process, least recently used dropped first.
MAX_TOKENS = 1024
# Longer tokens are verified every time: the cache holds at most MAX_TOKENS of this size.
MAX_TOKEN_LENGTH = 4096


@dataclass(frozen=True)
class VerifiedToken:
    """A token whose signature, audience, issuer, nbf and claims were checked, the principal
    it speaks for, and what its expiry depends on: its exp, as an integer, and the leeway."""

    token: BearerToken
    principal: TokenPrincipal
    exp: int
    leeway: float

    def is_expired(self, now: float) -> bool:
        # PyJWT's own test (an exact comparison, whatever the size of exp).
        return self.exp <= now - self.leeway


class VerifiedTokens:
    """A bounded, thread-safe map of raw tokens to their verification.

    A client sends the same token with every request until it expires, and verifying it
    again (base64, JSON, HMAC or a public-key check, the claims) is the largest single part
    of a delete's own work. What verification decided cannot change while the settings stay
    the same, except expiry, which depends on the clock: so every use checks the expiry
    again, exactly as PyJWT does (`int(exp) <= now - leeway` is expired), and an expired
    entry is dropped, so that the plain path refuses the token with its usual message. An
    entry never outlives its token; the whole map is emptied when MEMORIES changes (keys,
    audience, issuer, claims). Only successes are remembered: a refused token
    is refused by the plain path each time.

    Note: with JWK_URL, a token stays accepted until its expiry even if its key is withdrawn
    from the key set meanwhile, as it would in any process that verified it before.
    """

    def __init__(self, size: int = MAX_TOKENS) -> None:
        self.size = size
        self._entries: OrderedDict[bytes, VerifiedToken] = OrderedDict()
        self._lock = threading.Lock()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, raw_token: bytes) -> VerifiedToken | None:
        """The verification of raw_token if it is remembered and still unexpired."""
        with self._lock:
            entry = self._entries.get(raw_token)
            if entry is None:
                return None
            if entry.is_expired(time.time()):
                del self._entries[raw_token]
                return None
            self._entries.move_to_end(raw_token)
            return entry

    def remember(self, raw_token: bytes, token: BearerToken, principal: TokenPrincipal) -> None:
        """Remember a token that has just been verified and found valid."""
        if len(raw_token) > MAX_TOKEN_LENGTH:
            return
        leeway = token_backend().get_leeway().total_seconds()
        entry = VerifiedToken(token, principal, exp=int(token["exp"]), leeway=leeway)
        with self._lock:
            self._entries[raw_token] = entry
            self._entries.move_to_end(raw_token)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()


verified_tokens = VerifiedTokens()


def _clear_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "MEMORIES":
        verified_tokens.clear()


setting_changed.connect(_clear_on_change)
