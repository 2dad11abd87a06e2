"""Bearer JWTs (memories/tokens.py): verified and issued with the app's own keys, so that
the agents' tokens and a host's own simplejwt users' tokens never stand for each other."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.test import override_settings
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.tokens import AccessToken

from memories.tokens import token_backend, token_issue
from tests.conftest import memories_with, mint
from tests.factories import memory_create, memory_ids_in
from tests.settings import HS256_KEY

pytestmark = pytest.mark.django_db(databases=["default"])


def host_user_of(token: str) -> User:
    """The host's own simplejwt authentication, as its REST_FRAMEWORK defaults would run it."""
    request = APIRequestFactory().get("/api/", HTTP_AUTHORIZATION=f"Bearer {token}")
    result = JWTAuthentication().authenticate(request)
    assert result is not None
    user = result[0]
    assert isinstance(user, User)
    return user


@pytest.fixture
def superuser() -> User:
    # pk 1 in a fresh database: the user a forged {"user_id": 1} would name.
    return User.objects.create_superuser("root", "root@example.com", "s3cret-pass")


# The host of the test settings has simplejwt's defaults: its users' tokens are signed with
# SECRET_KEY (simplejwt builds its backend once, at import: override_settings cannot move it;
# tests/e2e/test_packaging.py serves a host with a SIMPLE_JWT key of its own).


class HostTokensOnTheMemoryAPITests:
    def test_a_host_users_access_token_is_refused(self, api, superuser):
        memory_create(memory_id="m1", user_id=str(superuser.pk))
        token = str(AccessToken.for_user(superuser))
        assert host_user_of(token) == superuser  # a valid token of the host

        response = api.delete("/memories/m1", HTTP_AUTHORIZATION=f"Bearer {token}")

        assert response.status_code == 401
        assert response.json()["error_code"] == "UNAUTHENTICATED"
        assert memory_ids_in("default") == {"m1"}

    def test_refused_even_where_the_user_id_claim_is_the_hosts(self, api, superuser):
        memory_create(memory_id="m1", user_id=str(superuser.pk))
        token = str(AccessToken.for_user(superuser))

        with override_settings(MEMORIES=memories_with(USER_ID_CLAIM="user_id")):
            response = api.delete("/memories/m1", HTTP_AUTHORIZATION=f"Bearer {token}")

        assert response.status_code == 401
        assert memory_ids_in("default") == {"m1"}


class AgentTokensOnTheHostTests:
    def test_a_token_signed_with_the_agents_key_is_no_host_user(self, superuser):
        forged = mint(None, key=HS256_KEY, token_type="access", user_id=superuser.pk)

        with pytest.raises(InvalidToken):
            host_user_of(forged)

    def test_an_issued_token_is_no_host_user(self, superuser):
        token = token_issue(subject=str(superuser.pk), scopes=[], ttl=timedelta(minutes=5))

        with pytest.raises(InvalidToken):
            host_user_of(token)


class TokenIssueTests:
    def test_an_issued_token_names_its_subject_and_scopes_and_deletes_as_them(self, api):
        memory_create(memory_id="m1", user_id="bob")

        token = token_issue(subject="ops", scopes=["agent_os:admin"], ttl=timedelta(minutes=5))

        # The stubs type decode() for simplejwt's Token; it takes the encoded text.
        payload = token_backend().decode(token)  # type: ignore[arg-type]
        assert payload["sub"] == "ops" and payload["scopes"] == ["agent_os:admin"]
        assert payload["exp"] - payload["iat"] == 300
        assert "token_type" not in payload and "jti" not in payload
        response = api.delete("/memories/m1", HTTP_AUTHORIZATION=f"Bearer {token}")
        assert response.status_code == 204  # an admin's token: bob's memory is in reach
        assert memory_ids_in("default") == set()

    def test_without_a_signing_key_no_token_is_issued(self):
        with (
            override_settings(MEMORIES=memories_with(JWT_SIGNING_KEY="")),
            pytest.raises(TokenError, match="No key is configured to sign tokens"),
        ):
            token_issue(subject="ops", scopes=[], ttl=timedelta(minutes=5))
