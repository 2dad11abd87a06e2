"""Whether one side's key would sign tokens the other side's token system accepts (check
memories.E009).

The only place that looks at the host's SIMPLE_JWT: never to verify a token, only to refuse
a configuration in which the agents' tokens could pass for the host's users or the reverse.
Keys are not compared as text: a probe token is signed with one side's key, for the other
side's algorithm, audience and issuer, and handed to the other side's simplejwt backend, so a
key pair written two ways, or a private key against its public key, is found all the same.
"""

import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from rest_framework_simplejwt.backends import TokenBackend
from rest_framework_simplejwt.exceptions import TokenBackendError

from memories.conf import memories_settings


@dataclass(frozen=True)
class TokenSide:
    """One token system: the key it signs with (if known here), how it verifies, its name."""

    name: str
    signing_key: Any
    signing_key_name: str
    verifier: TokenBackend
    jwk_url: str | None


def agents_side() -> TokenSide:
    return TokenSide(
        name="the memory API",
        signing_key=memories_settings.JWT_SIGNING_KEY,
        signing_key_name="MEMORIES['JWT_SIGNING_KEY']",
        verifier=TokenBackend(
            memories_settings.JWT_ALGORITHM,
            memories_settings.JWT_SIGNING_KEY or "",
            memories_settings.JWT_VERIFYING_KEY or "",
            memories_settings.JWT_AUDIENCE,
            memories_settings.JWT_ISSUER,
            None,
            memories_settings.JWT_LEEWAY,
        ),
        jwk_url=memories_settings.JWT_JWK_URL,
    )


def host_side() -> TokenSide:
    host: dict[str, Any] = getattr(settings, "SIMPLE_JWT", None) or {}
    # simplejwt's defaults: HS256, signed with SECRET_KEY.
    signing_key = host.get("SIGNING_KEY", settings.SECRET_KEY)
    return TokenSide(
        name="the host's simplejwt",
        signing_key=signing_key,
        signing_key_name="SIMPLE_JWT['SIGNING_KEY']" if "SIGNING_KEY" in host else "SECRET_KEY",
        verifier=TokenBackend(
            host.get("ALGORITHM", "HS256"),
            signing_key,
            host.get("VERIFYING_KEY") or "",
            host.get("AUDIENCE"),
            host.get("ISSUER"),
            None,
            host.get("LEEWAY", 0),
        ),
        jwk_url=host.get("JWK_URL"),
    )


def signs_for(signer: TokenSide, verifier: TokenSide) -> bool:
    """Whoever holds signer's key can make a token that verifier's backend accepts."""
    if not signer.signing_key:
        return False
    backend = verifier.verifier
    key = backend.signing_key if backend.algorithm.startswith("HS") else backend.verifying_key
    if not key:
        return False
    forger = TokenBackend(
        backend.algorithm, signer.signing_key, "", backend.audience, backend.issuer
    )
    try:
        probe = forger.encode({"exp": int(time.time()) + 60})
    except Exception:  # noqa: BLE001 - a key unfit for that algorithm forges nothing
        return False
    try:
        backend.decode(probe)  # type: ignore[arg-type]
    except TokenBackendError:
        return False
    return True


def shared_token_keys() -> list[str]:
    """What lets one side's tokens pass for the other's, in words; empty when nothing does."""
    agents, host = agents_side(), host_side()
    problems = [
        f"{signer.signing_key_name} signs tokens that {verifier.name} accepts"
        for signer, verifier in ((agents, host), (host, agents))
        if signs_for(signer, verifier)
    ]
    if agents.jwk_url and agents.jwk_url == host.jwk_url:
        problems.append("MEMORIES['JWT_JWK_URL'] is SIMPLE_JWT['JWK_URL']")
    if _text(agents.signing_key) and _text(agents.signing_key) == _text(settings.SECRET_KEY):
        # Django signs sessions and password resets with it, whatever simplejwt uses.
        problems.append("MEMORIES['JWT_SIGNING_KEY'] is SECRET_KEY")
    return list(dict.fromkeys(problems))


def _text(key: Any) -> str:
    return str(key or "").strip()
