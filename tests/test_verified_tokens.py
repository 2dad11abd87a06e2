"""The cache of verified tokens decides exactly as verifying each time would, expiry included."""

import time
from typing import Any

import pytest
import time_machine
from django.test import override_settings
from rest_framework.exceptions import AuthenticationFailed
from rest_framework.test import APIRequestFactory

from memories.authentication import BearerTokenAuthentication
from memories.verified_tokens import MAX_TOKEN_LENGTH, VerifiedTokens, verified_tokens
from tests.conftest import memories_with, mint
from tests.factories import memory_create, memory_ids_in
from tests.keys import other_rsa_pair, rsa_pair
from tests.test_authentication import HS_KEY, rs256_settings

# A whole second, so that the clock can be set to the instants around exp exactly.
NOW = 1_900_000_000


def outcome(token: str) -> Any:
    """What authentication decides for token: the principal, or the refusal's message."""
    request = APIRequestFactory().delete("/memories/m1", HTTP_AUTHORIZATION=f"Bearer {token}")
    try:
        result = BearerTokenAuthentication().authenticate(request)
    except AuthenticationFailed as error:
        return ("refused", str(error.detail))
    assert result is not None
    return result[0]


def plain(token: str) -> Any:
    """The plain way: verified as if for the first time."""
    verified_tokens.clear()
    return outcome(token)


def cached(token: str) -> Any:
    """Verified once (remembered if valid), then decided again."""
    verified_tokens.clear()
    outcome(token)
    return outcome(token)


def count_decodes(monkeypatch) -> list[int]:
    from rest_framework_simplejwt.backends import TokenBackend

    calls: list[int] = []
    decode = TokenBackend.decode

    def counting(self, *args, **kwargs):
        calls.append(1)
        return decode(self, *args, **kwargs)

    monkeypatch.setattr(TokenBackend, "decode", counting)
    return calls


TOKENS = {
    "valid": lambda: mint("alice"),
    "admin": lambda: mint("root", scopes=["agent_os:admin"]),
    "string scopes": lambda: mint("bob", scopes="memories:delete agent_os:admin"),
    "expired": lambda: mint("alice", lifetime=-1),
    "expiring now": lambda: mint("alice", lifetime=0),
    "not yet valid": lambda: mint("alice", nbf=int(time.time()) + 60),
    "wrong key": lambda: mint("alice", key="another-key-that-is-long-enough-for-hs256-000000"),
    "no subject": lambda: mint(None),
    "subject with a control character": lambda: mint("al\x00ice"),
    "exp as a string": lambda: mint("alice", exp="tomorrow"),
    "never expires": lambda: mint("alice", exp=2**63 - 1),
    "exp beyond any float": lambda: mint("alice", exp=10**400),
    "not a JWT": lambda: "not.a.jwt",
}


@pytest.mark.parametrize("kind", TOKENS)
def test_a_remembered_token_is_decided_as_the_plain_way_decides(kind):
    token = TOKENS[kind]()

    assert cached(token) == plain(token)


@pytest.mark.parametrize("kind", TOKENS)
def test_only_accepted_tokens_are_remembered(kind):
    token = TOKENS[kind]()

    accepted = not isinstance(outcome(token), tuple)

    assert len(verified_tokens) == (1 if accepted else 0)


def test_a_token_sent_again_is_not_decoded_again(monkeypatch):
    decodes = count_decodes(monkeypatch)
    token = mint("alice")

    principals = {outcome(token) for _ in range(5)}

    assert len(principals) == 1
    assert len(decodes) == 1


def test_a_refused_token_is_verified_every_time(monkeypatch):
    decodes = count_decodes(monkeypatch)
    token = mint("alice", key="another-key-that-is-long-enough-for-hs256-000000")

    for _ in range(3):
        assert outcome(token)[0] == "refused"

    assert len(decodes) == 3


@pytest.mark.parametrize("fraction", [0, 0.5])
@pytest.mark.parametrize("leeway", [0, 30])
@pytest.mark.parametrize("offset", [-1.0, -0.25, 0.0, 0.25, 1.0])
def test_expiry_is_checked_on_every_use_as_pyjwt_checks_it(leeway, offset, fraction):
    token_settings = {"JWT_SIGNING_KEY": HS_KEY, "JWT_LEEWAY": leeway}
    with (
        override_settings(MEMORIES=memories_with(**token_settings)),
        time_machine.travel(NOW, tick=False) as clock,
    ):
        # PyJWT reads a fractional exp as its integer part.
        token = mint("alice", key=HS_KEY, exp=NOW + 60 + fraction)
        assert not isinstance(outcome(token), tuple)  # remembered while valid
        clock.move_to(NOW + 60 + leeway + offset)

        remembered = outcome(token)
        verified_tokens.clear()

        assert remembered == outcome(token)
        assert isinstance(remembered, tuple) == (offset >= 0)


def test_an_expired_token_is_forgotten_and_refused_with_the_usual_message():
    with time_machine.travel(NOW, tick=False) as clock:
        token = mint("alice", exp=NOW + 60)
        outcome(token)
        clock.move_to(NOW + 61)

        assert outcome(token) == ("refused", "Token is expired")
        assert len(verified_tokens) == 0


@pytest.mark.django_db(databases=["default"])
def test_an_expired_token_deletes_nothing_after_it_was_remembered(api):
    memory_create(memory_id="m1", user_id="alice")
    memory_create(memory_id="m2", user_id="alice")
    with time_machine.travel(NOW, tick=False) as clock:
        token = mint("alice", exp=NOW + 60)
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        assert api.delete("/memories/m1").status_code == 204
        clock.move_to(NOW + 60)

        response = api.delete("/memories/m2")

    assert response.status_code == 401
    assert memory_ids_in("default") == {"m2"}


def test_a_change_of_keys_forgets_every_token():
    with override_settings(MEMORIES=memories_with(**rs256_settings())):
        token = mint("alice", key=rsa_pair()[0], algorithm="RS256")
        assert not isinstance(outcome(token), tuple)
        private, public = other_rsa_pair()
        rotated = {
            "JWT_ALGORITHM": "RS256",
            "JWT_SIGNING_KEY": private,
            "JWT_VERIFYING_KEY": public,
        }
        with override_settings(MEMORIES=memories_with(**rotated)):
            assert outcome(token)[0] == "refused"


def test_a_change_of_claims_forgets_every_token(settings):
    token = mint("alice", uid="carol")
    assert outcome(token).subject == "alice"

    settings.MEMORIES = {**settings.MEMORIES, "USER_ID_CLAIM": "uid"}

    assert outcome(token).subject == "carol"


def test_the_cache_is_bounded():
    cache = VerifiedTokens(size=3)
    tokens = [mint(f"user{n}") for n in range(5)]
    for token in tokens:
        verified_tokens.clear()
        result = BearerTokenAuthentication().authenticate(
            APIRequestFactory().get("/", HTTP_AUTHORIZATION=f"Bearer {token}")
        )
        assert result is not None
        # simplejwt types authenticate() for its users; ours returns a principal.
        cache.remember(token.encode(), result[1], result[0])  # type: ignore[arg-type]

    assert len(cache) == 3
    assert cache.get(tokens[0].encode()) is None  # the least recently used went first
    assert cache.get(tokens[4].encode()) is not None


def test_a_very_long_token_is_not_remembered():
    token = mint("alice", padding="x" * MAX_TOKEN_LENGTH)

    assert not isinstance(outcome(token), tuple)
    assert len(verified_tokens) == 0
