"""Bearer JWT authentication: which tokens open the API, and that refused ones touch nothing."""

import base64
import hashlib
import hmac
import json
import time
from typing import Any

import pytest
from django.test import override_settings

from tests.conftest import memories_with, mint
from tests.factories import memory_create, memory_ids_in
from tests.keys import ec_pair, other_rsa_pair, rsa_pair

pytestmark = pytest.mark.django_db(databases=["default"])

HS_KEY = "tests-hs256-signing-key-that-is-long-enough-for-sha256-0123456789"


def rs256_settings(**extra):
    private, public = rsa_pair()
    return {
        "JWT_ALGORITHM": "RS256",
        "JWT_SIGNING_KEY": private,
        "JWT_VERIFYING_KEY": public,
        **extra,
    }


def b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def hand_made(header: dict[str, Any], payload: dict[str, Any], sign=lambda data: b"") -> str:
    """A JWT assembled byte by byte, for tokens PyJWT refuses to produce."""
    signing_input = f"{b64(json.dumps(header).encode())}.{b64(json.dumps(payload).encode())}"
    return f"{signing_input}.{b64(sign(signing_input.encode()))}"


def claims(subject="alice", lifetime=300, **extra):
    now = int(time.time())
    return {"sub": subject, "iat": now, "exp": now + lifetime, **extra}


def delete_with(api, token: str, memory_id: str = "m1"):
    return api.delete(f"/memories/{memory_id}", HTTP_AUTHORIZATION=f"Bearer {token}")


def assert_refused(response, detail: str | None = None):
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    body = response.json()
    assert set(body) == {"detail", "error_code"}
    assert body["error_code"] == "UNAUTHENTICATED"
    assert isinstance(body["detail"], str) and body["detail"]
    if detail is not None:
        assert body["detail"] == detail
    assert memory_ids_in("default") == {"m1"}


@pytest.fixture(autouse=True)
def alice_memory():
    memory_create(memory_id="m1", user_id="alice")


class AcceptedTokenTests:
    def test_hs256_token_deletes(self, api):
        assert delete_with(api, mint("alice")).status_code == 204
        assert memory_ids_in("default") == set()

    def test_token_without_jti_or_token_type_is_accepted(self, api):
        token = hand_made(
            {"alg": "HS256", "typ": "JWT"},
            claims(),
            lambda data: hmac.new(HS_KEY.encode(), data, hashlib.sha256).digest(),
        )
        assert delete_with(api, token).status_code == 204
        assert memory_ids_in("default") == set()

    def test_rs256_token_deletes(self, api):
        with override_settings(MEMORIES=memories_with(**rs256_settings())):
            token = mint("alice", key=rsa_pair()[0], algorithm="RS256")
            assert delete_with(api, token).status_code == 204
        assert memory_ids_in("default") == set()

    def test_es256_token_deletes(self, api):
        private, public = ec_pair()
        jwt_settings = {
            "JWT_ALGORITHM": "ES256",
            "JWT_SIGNING_KEY": private,
            "JWT_VERIFYING_KEY": public,
        }
        with override_settings(MEMORIES=memories_with(**jwt_settings)):
            token = mint("alice", key=private, algorithm="ES256")
            assert delete_with(api, token).status_code == 204
        assert memory_ids_in("default") == set()

    def test_audience_and_issuer_accepted_when_they_match(self, api):
        jwt_settings = {
            "JWT_SIGNING_KEY": HS_KEY,
            "JWT_AUDIENCE": "memories",
            "JWT_ISSUER": "agentos",
        }
        with override_settings(MEMORIES=memories_with(**jwt_settings)):
            token = mint("alice", aud="memories", iss="agentos")
            assert delete_with(api, token).status_code == 204
        assert memory_ids_in("default") == set()

    def test_expired_token_within_leeway_is_accepted(self, api):
        with override_settings(MEMORIES=memories_with(JWT_SIGNING_KEY=HS_KEY, JWT_LEEWAY=60)):
            assert delete_with(api, mint("alice", lifetime=-10)).status_code == 204
        assert memory_ids_in("default") == set()

    def test_custom_user_id_claim_names_the_owner(self, api):
        memories = memories_with(DATABASES={"default": "default"}, USER_ID_CLAIM="uid")
        with override_settings(MEMORIES=memories):
            token = mint("mallory", uid="alice")
            assert delete_with(api, token).status_code == 204
        assert memory_ids_in("default") == set()


class RefusedTokenTests:
    def test_missing_header(self, api):
        assert_refused(api.delete("/memories/m1"), "Authentication credentials were not provided.")

    @pytest.mark.parametrize(
        "header", ["Basic YWxpY2U6c2VjcmV0", "Bearer", "Bearer a b", "Token abc"]
    )
    def test_malformed_header(self, api, header):
        assert_refused(api.delete("/memories/m1", HTTP_AUTHORIZATION=header))

    @pytest.mark.parametrize("token", ["garbage", "a.b.c", "e30.e30.", "🙂"])
    def test_garbage_token(self, api, token):
        assert_refused(delete_with(api, token))

    def test_expired_token(self, api):
        assert_refused(delete_with(api, mint("alice", lifetime=-10)), "Token is expired")

    def test_expired_token_beyond_leeway(self, api):
        with override_settings(MEMORIES=memories_with(JWT_SIGNING_KEY=HS_KEY, JWT_LEEWAY=5)):
            assert_refused(delete_with(api, mint("alice", lifetime=-60)))

    def test_not_yet_valid_token(self, api):
        assert_refused(delete_with(api, mint("alice", nbf=int(time.time()) + 600)))

    def test_token_without_exp(self, api):
        token = mint("alice", lifetime=0)
        payload = claims()
        del payload["exp"]
        token = hand_made(
            {"alg": "HS256", "typ": "JWT"},
            payload,
            lambda data: hmac.new(HS_KEY.encode(), data, hashlib.sha256).digest(),
        )
        assert_refused(delete_with(api, token), "Token has no 'exp' claim")

    def test_wrong_hmac_key(self, api):
        token = mint("alice", key="another-key-that-is-also-long-enough-for-hs256-987654321")
        assert_refused(delete_with(api, token))

    def test_rs256_token_signed_with_another_key(self, api):
        with override_settings(MEMORIES=memories_with(**rs256_settings())):
            assert_refused(
                delete_with(api, mint("alice", key=other_rsa_pair()[0], algorithm="RS256"))
            )

    def test_alg_none(self, api):
        token = hand_made({"alg": "none", "typ": "JWT"}, claims())
        assert_refused(delete_with(api, token))

    def test_alg_none_with_admin_scope(self, api):
        token = hand_made({"alg": "none", "typ": "JWT"}, claims(scopes=["agent_os:admin"]))
        assert_refused(delete_with(api, token))

    def test_hs256_signed_with_the_rsa_public_key(self, api):
        # Key confusion: the public key is no secret; it must never verify an HMAC.
        public = rsa_pair()[1]
        token = hand_made(
            {"alg": "HS256", "typ": "JWT"},
            claims(),
            lambda data: hmac.new(public.encode(), data, hashlib.sha256).digest(),
        )
        with override_settings(MEMORIES=memories_with(**rs256_settings())):
            assert_refused(delete_with(api, token))

    def test_hs256_token_when_rs256_is_expected(self, api):
        with override_settings(MEMORIES=memories_with(**rs256_settings())):
            assert_refused(delete_with(api, mint("alice", key=HS_KEY)))

    @pytest.mark.parametrize(
        "token_claims",
        [
            {"aud": "elsewhere", "iss": "agentos"},
            {"iss": "agentos"},
            {"aud": "memories", "iss": "impostor"},
            {"aud": "memories"},
        ],
        ids=["wrong-audience", "no-audience", "wrong-issuer", "no-issuer"],
    )
    def test_audience_or_issuer_mismatch(self, api, token_claims):
        jwt_settings = {
            "JWT_SIGNING_KEY": HS_KEY,
            "JWT_AUDIENCE": "memories",
            "JWT_ISSUER": "agentos",
        }
        with override_settings(MEMORIES=memories_with(**jwt_settings)):
            assert_refused(delete_with(api, mint("alice", **token_claims)))

    @pytest.mark.parametrize("subject", [None, ""], ids=repr)
    def test_token_without_a_subject(self, api, subject):
        token = mint(None) if subject is None else mint(None, sub=subject)
        assert_refused(
            delete_with(api, token), "Token contained no recognizable user identification"
        )

    @pytest.mark.parametrize("subject", [123, ["alice"], {"id": "alice"}], ids=repr)
    def test_token_with_a_subject_that_is_not_a_string(self, api, subject):
        token = hand_made(
            {"alg": "HS256", "typ": "JWT"},
            claims(subject),
            lambda data: hmac.new(HS_KEY.encode(), data, hashlib.sha256).digest(),
        )
        assert_refused(delete_with(api, token))

    @pytest.mark.parametrize(
        "subject",
        ["a\x00b", "\ud800", "x" * 256, "tab\there"],
        ids=["nul", "surrogate", "256", "tab"],
    )
    def test_token_whose_subject_could_own_no_memory(self, api, subject):
        # PostgreSQL holds no NUL, no UTF-8 column or driver a lone surrogate, the owner
        # column 255 characters: such a subject never owns a memory anywhere.
        assert_refused(delete_with(api, mint(subject)), "Token subject is not a valid user id")

    # Python's JSON writes (and reads) Infinity and NaN; no NumericDate is either.
    @pytest.mark.parametrize(
        "exp", ["9999999999", None, True, [1], float("inf"), float("nan")], ids=repr
    )
    def test_token_whose_exp_is_not_a_number(self, api, exp):
        token = hand_made(
            {"alg": "HS256", "typ": "JWT"},
            claims(exp=exp),
            lambda data: hmac.new(HS_KEY.encode(), data, hashlib.sha256).digest(),
        )
        assert_refused(delete_with(api, token))

    @pytest.mark.parametrize("key", ["", None])
    def test_no_key_configured_refuses_every_token(self, api, key):
        # An empty HMAC key must not turn into a key anyone can sign with.
        token = hand_made(
            {"alg": "HS256", "typ": "JWT"},
            claims(),
            lambda data: hmac.new(b"", data, hashlib.sha256).digest(),
        )
        with override_settings(MEMORIES=memories_with(JWT_SIGNING_KEY=key)):
            assert_refused(delete_with(api, token), "No key is configured to verify tokens")


class NeverExpiringTokenTests:
    """A far `exp` is a token that never expires: accepted, where datetime cannot follow."""

    @pytest.mark.parametrize(
        "exp",
        [2**63 - 1, 253402300800, 1e300, 10**400],
        ids=["2**63-1", "year 10000", "1e300", "10**400"],
    )
    def test_accepted(self, api, exp):
        response = delete_with(api, mint("alice", exp=exp))

        assert response.status_code == 204
        assert memory_ids_in("default") == set()


class SchemeTests:
    @pytest.mark.parametrize("scheme", ["bearer", "BEARER", "bEaReR"])
    def test_the_scheme_name_is_case_insensitive(self, api, scheme):
        response = api.delete("/memories/m1", HTTP_AUTHORIZATION=f"{scheme} {mint('alice')}")

        assert response.status_code == 204
        assert memory_ids_in("default") == set()

    @pytest.mark.parametrize("header", ["Bearerx abc", "Bear abc", "bearer", "bearer a b"])
    def test_other_schemes_and_shapes_stay_refused(self, api, header):
        assert_refused(api.delete("/memories/m1", HTTP_AUTHORIZATION=header))


class ScopeTests:
    @pytest.mark.parametrize(
        "scopes", [["agent_os:admin"], "memories:read agent_os:admin", ["x", "agent_os:admin"]]
    )
    def test_admin_scope_as_list_or_string(self, api, scopes):
        token = mint("root", scopes=scopes)
        assert delete_with(api, token).status_code == 204
        assert memory_ids_in("default") == set()

    @pytest.mark.parametrize("scopes", [[], "agent_os", 42, {"agent_os:admin": True}], ids=repr)
    def test_without_admin_scope_a_token_is_a_regular_user(self, api, scopes):
        response = delete_with(api, mint("root", scopes=scopes))
        assert response.status_code == 404
        assert memory_ids_in("default") == {"m1"}

    @pytest.mark.parametrize(
        "scopes",
        [
            "memories:read\u00a0agent_os:admin",
            "memories:read\tagent_os:admin",
            "memories:read\nagent_os:admin",
            "memories:read\u2003agent_os:admin",
        ],
        ids=["no-break space", "tab", "newline", "em space"],
    )
    def test_scopes_are_separated_by_ascii_spaces_only(self, api, scopes):
        response = delete_with(api, mint("root", scopes=scopes))

        assert response.status_code == 404
        assert memory_ids_in("default") == {"m1"}

    def test_custom_scopes_claim_and_admin_scope(self, api):
        memories = memories_with(DATABASES={"default": "default"}, SCOPES_CLAIM="roles")
        memories["ADMIN_SCOPE"] = "memory-admin"
        with override_settings(MEMORIES=memories):
            refused = delete_with(api, mint("root", scopes=["agent_os:admin"]))
            assert refused.status_code == 404
            accepted = delete_with(api, mint("root", roles=["memory-admin"]))
            assert accepted.status_code == 204
        assert memory_ids_in("default") == set()


def test_oversized_authorization_header_is_refused(api):
    token = mint("alice", padding="x" * 9000)
    assert_refused(delete_with(api, token), "Authorization header too long")
