"""Bearer JWTs: verified and issued with the app's own JWT_* settings, and their principals."""

import functools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.signals import setting_changed
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow, datetime_to_epoch

from memories.conf import memories_settings
from memories.validators import is_identifier


@functools.cache
def token_backend() -> TokenBackend:
    """simplejwt's backend built from MEMORIES' JWT_* settings (never the host's SIMPLE_JWT,
    whose tokens are its users', not agents')."""
    return TokenBackend(
        memories_settings.JWT_ALGORITHM,
        memories_settings.JWT_SIGNING_KEY or "",
        memories_settings.JWT_VERIFYING_KEY or "",
        memories_settings.JWT_AUDIENCE,
        memories_settings.JWT_ISSUER,
        memories_settings.JWT_JWK_URL,
        memories_settings.JWT_LEEWAY,
    )


def _reset_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "MEMORIES":
        token_backend.cache_clear()


setting_changed.connect(_reset_on_change)


class BearerToken(Token):
    """An access token from any issuer sharing our keys: `exp` required, no type or jti."""

    # simplejwt's Token needs both to decode; neither is checked nor issued.
    token_type = "access"
    lifetime = timedelta(hours=1)

    def get_token_backend(self) -> TokenBackend:
        backend = token_backend()
        key = backend.signing_key if backend.algorithm.startswith("HS") else backend.verifying_key
        if not key and backend.jwks_client is None:
            # Fail closed: an empty HMAC key would make every token forgeable.
            raise TokenError(_("No key is configured to verify tokens"))
        return backend

    @functools.cached_property
    def principal(self) -> "TokenPrincipal":
        """Who the token speaks for; raises TokenError when it names no possible owner."""
        return principal_from(self)

    def verify(self) -> None:
        # Tokens minted by AgentOS or an identity provider carry no simplejwt token type
        # or jti; signature, audience, issuer and nbf were checked when decoding.
        self.check_exp()

    def check_exp(self, claim: str = "exp", current_time: Any = None) -> None:
        """The claim is a number: PyJWT compared it with the clock (and the leeway) when
        decoding. simplejwt's own check turns it into a datetime, which a "never expires"
        value such as 2**63-1 or 1e300 overflows."""
        if claim not in self.payload:
            raise TokenError(gettext("Token has no '%(claim)s' claim") % {"claim": claim})
        value = self.payload[claim]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TokenError(
                gettext("Token '%(claim)s' claim must be a number") % {"claim": claim}
            )


@dataclass(frozen=True)
class TokenPrincipal:
    """The caller a verified token speaks for."""

    subject: str
    scopes: frozenset[str] = field(default_factory=frozenset)
    is_authenticated = True
    is_anonymous = False

    @property
    def pk(self) -> str:
        # DRF's user throttles key on request.user.pk.
        return self.subject

    @property
    def is_admin(self) -> bool:
        return str(memories_settings.ADMIN_SCOPE) in self.scopes

    def __str__(self) -> str:
        return self.subject


def scopes_of(claim: object) -> frozenset[str]:
    """Scopes from a claim that is a list of strings or one space-separated string."""
    if isinstance(claim, str):
        # RFC 6749 and 8693: scopes are separated by ASCII spaces, and nothing else; a
        # no-break space inside a scope leaves it one (unknown) scope.
        return frozenset(scope for scope in claim.split(" ") if scope)
    if isinstance(claim, list | tuple):
        return frozenset(scope for scope in claim if isinstance(scope, str))
    return frozenset()


def principal_from(token: Token) -> TokenPrincipal:
    """The principal of a verified token; raises TokenError when it names no subject that
    could own a memory (in every supported database)."""
    subject = token.get(memories_settings.USER_ID_CLAIM)
    if not isinstance(subject, str) or not subject:
        raise TokenError(_("Token contained no recognizable user identification"))
    if not is_identifier(subject):
        raise TokenError(_("Token subject is not a valid user id"))
    return TokenPrincipal(
        subject=subject, scopes=scopes_of(token.get(memories_settings.SCOPES_CLAIM))
    )


def token_issue(*, subject: str, scopes: list[str], ttl: timedelta) -> str:
    """A token for subject, signed with MEMORIES["JWT_SIGNING_KEY"].

    It carries no simplejwt token type: a host's own simplejwt refuses it as a user's token
    even before its signature (another key) fails there.
    """
    if not memories_settings.JWT_SIGNING_KEY:
        # An empty HMAC key would sign tokens that anyone can forge.
        raise TokenError(_("No key is configured to sign tokens"))
    now = aware_utcnow()
    payload: dict[str, Any] = {
        "iat": datetime_to_epoch(now),
        "exp": datetime_to_epoch(now + ttl),
        memories_settings.USER_ID_CLAIM: subject,
    }
    if scopes:
        payload[memories_settings.SCOPES_CLAIM] = scopes
    return token_backend().encode(payload)
