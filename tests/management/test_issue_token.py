"""issue_token prints a real token that the API accepts."""

import time
from io import StringIO

import jwt
import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings

from tests.conftest import memories_with
from tests.factories import memory_create, memory_ids_in
from tests.keys import rsa_pair

HS_KEY = "tests-hs256-signing-key-that-is-long-enough-for-sha256-0123456789"


def issue(*args: str) -> str:
    out = StringIO()
    call_command("issue_token", *args, stdout=out)
    lines = out.getvalue().splitlines()
    assert len(lines) == 1
    return lines[0]


def test_token_names_the_subject_and_expires_after_the_ttl():
    before = int(time.time())
    claims = jwt.decode(issue("alice", "--ttl", "120"), HS_KEY, algorithms=["HS256"])
    assert claims["sub"] == "alice"
    assert before + 120 <= claims["exp"] <= int(time.time()) + 121
    assert "scopes" not in claims
    assert "token_type" not in claims


def test_admin_and_scopes():
    token = issue("root", "--admin", "--scopes", "memories:read", "memories:delete")
    claims = jwt.decode(token, HS_KEY, algorithms=["HS256"])
    assert claims["scopes"] == ["memories:read", "memories:delete", "agent_os:admin"]


def test_audience_and_issuer_are_included_when_configured():
    with override_settings(
        MEMORIES=memories_with(JWT_SIGNING_KEY=HS_KEY, JWT_AUDIENCE="m", JWT_ISSUER="i")
    ):
        token = issue("alice")
    claims = jwt.decode(token, HS_KEY, algorithms=["HS256"], audience="m", issuer="i")
    assert (claims["aud"], claims["iss"]) == ("m", "i")


def test_rs256_token_is_signed_with_the_private_key():
    private, public = rsa_pair()
    jwt_settings = {
        "JWT_ALGORITHM": "RS256",
        "JWT_SIGNING_KEY": private,
        "JWT_VERIFYING_KEY": public,
    }
    with override_settings(MEMORIES=memories_with(**jwt_settings)):
        token = issue("alice")
    assert jwt.decode(token, public, algorithms=["RS256"])["sub"] == "alice"


@pytest.mark.parametrize("key", [None, ""])
def test_no_signing_key_is_an_error(key):
    with (
        override_settings(MEMORIES=memories_with(JWT_SIGNING_KEY=key)),
        pytest.raises(CommandError),
    ):
        issue("alice")


@pytest.mark.parametrize("ttl", ["0", "-5"])
def test_ttl_must_be_positive(ttl):
    with pytest.raises(CommandError, match="--ttl"):
        issue("alice", "--ttl", ttl)


@pytest.mark.parametrize("subject", ["", "a\x00b", "x" * 256, "line\nbreak"], ids=repr)
def test_a_subject_that_could_own_no_memory_is_an_error(subject):
    with pytest.raises(CommandError, match="SUBJECT must be 1 to 255 characters"):
        issue(subject)


@pytest.mark.django_db(databases=["default"])
def test_the_api_accepts_the_token(api):
    memory_create(memory_id="m1", user_id="alice")
    memory_create(memory_id="m2", user_id="bob")

    api.credentials(HTTP_AUTHORIZATION=f"Bearer {issue('alice')}")

    assert api.delete("/memories/m1").status_code == 204
    assert api.delete("/memories/m2").status_code == 404
    assert memory_ids_in("default") == {"m2"}
