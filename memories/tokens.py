"""Bearer JWTs: verified and issued with the SIMPLE_JWT settings, and their principals."""

import functools
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.signals import setting_changed
from rest_framework_simplejwt import settings as simplejwt_settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.tokens import Token

from memories.conf import memories_settings
from memories.validators import is_identifier


@functools.cache
def token_backend() -> TokenBackend:
    """simplejwt's backend for the current SIMPLE_JWT settings (its own is built at import)."""
    # simplejwt rebinds api_settings when SIMPLE_JWT changes: look it up on every build.
    api_settings = simplejwt_settings.api_settings
    return TokenBackend(
        api_settings.ALGORITHM,
        api_settings.SIGNING_KEY,
        api_settings.VERIFYING_KEY,
        api_settings.AUDIENCE,
        api_settings.ISSUER,
        api_settings.JWK_URL,
        api_settings.LEEWAY,
        api_settings.JSON_ENCODER,
    )


def _reset_on_change(*, setting: str, **kwargs: Any) -> None:
    if setting == "SIMPLE_JWT":
        token_backend.cache_clear()


setting_changed.connect(_reset_on_change)


class BearerToken(Token):
    """An access token from any issuer sharing our keys: `exp` required, no type or jti."""

    token_type = "access"
    lifetime = timedelta(hours=1)

    def get_token_backend(self) -> TokenBackend:
        backend = token_backend()
        key = backend.signing_key if backend.algorithm.startswith("HS") else backend.verifying_key
        if not key and backend.jwks_client is None:
            # Fail closed: an empty HMAC key would make every token forgeable.
            raise TokenError("No key is configured to verify tokens")
        return backend

    def verify(self) -> None:
        # Tokens minted by AgentOS or an identity provider carry no simplejwt token type
        # or jti; signature, audience, issuer and nbf were checked when decoding.
        self.check_exp()

    def check_exp(self, claim: str = "exp", current_time: Any = None) -> None:
        """The claim is a number: PyJWT compared it with the clock (and the leeway) when
        decoding. simplejwt's own check turns it into a datetime, which a "never expires"
        value such as 2**63-1 or 1e300 overflows."""
        if claim not in self.payload:
            raise TokenError(f"Token has no '{claim}' claim")
        value = self.payload[claim]
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise TokenError(f"Token '{claim}' claim must be a number")


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
        raise TokenError("Token contained no recognizable user identification")
    if not is_identifier(subject):
        raise TokenError("Token subject is not a valid user id")
    return TokenPrincipal(
        subject=subject, scopes=scopes_of(token.get(memories_settings.SCOPES_CLAIM))
    )


def token_issue(*, subject: str, scopes: list[str], ttl: timedelta) -> str:
    """A token for subject, signed with SIMPLE_JWT's signing key."""
    token = BearerToken()
    token.set_exp(lifetime=ttl)
    del token[simplejwt_settings.api_settings.TOKEN_TYPE_CLAIM]
    token[memories_settings.USER_ID_CLAIM] = subject
    if scopes:
        token[memories_settings.SCOPES_CLAIM] = scopes
    return str(token)
