"""The agents' tokens and a host's own simplejwt users' tokens never stand for each other."""

from datetime import timedelta

import pytest
from django.contrib.auth.models import User
from django.core.checks import run_checks
from django.test import override_settings
from rest_framework.test import APIRequestFactory
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import AccessToken

from memories.tokens import token_issue
from tests.conftest import memories_with, mint
from tests.factories import memory_create, memory_ids_in
from tests.keys import other_rsa_pair, rsa_pair
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


def separation_errors() -> list[str]:
    return [m.msg for m in run_checks(databases=[]) if m.id == "memories.E009"]


class SharedKeyCheckTests:
    def test_the_test_configuration_keeps_the_keys_apart(self):
        assert separation_errors() == []

    def test_the_secret_key_as_the_agents_key_is_an_error(self, settings):
        with override_settings(MEMORIES=memories_with(JWT_SIGNING_KEY=settings.SECRET_KEY)):
            messages = separation_errors()
        # simplejwt's default key is SECRET_KEY: both directions, and Django's own secret.
        assert [message.split(":")[0] for message in messages] == [
            "MEMORIES['JWT_SIGNING_KEY'] signs tokens that the host's simplejwt accepts",
            "SECRET_KEY signs tokens that the memory API accepts",
            "MEMORIES['JWT_SIGNING_KEY'] is SECRET_KEY",
        ]

    def test_the_hosts_simplejwt_secret_is_an_error(self):
        with override_settings(SIMPLE_JWT={"SIGNING_KEY": HS256_KEY}):
            messages = separation_errors()
        assert [message.split(":")[0] for message in messages] == [
            "MEMORIES['JWT_SIGNING_KEY'] signs tokens that the host's simplejwt accepts",
            "SIMPLE_JWT['SIGNING_KEY'] signs tokens that the memory API accepts",
        ]

    def test_the_same_secret_under_another_hmac_algorithm_is_an_error(self):
        with override_settings(SIMPLE_JWT={"ALGORITHM": "HS512", "SIGNING_KEY": HS256_KEY}):
            assert len(separation_errors()) == 2

    def test_the_agents_public_key_against_the_hosts_private_key_is_an_error(self):
        private, public = rsa_pair()
        agents = memories_with(JWT_ALGORITHM="RS256", JWT_SIGNING_KEY="", JWT_VERIFYING_KEY=public)
        host = {"ALGORITHM": "RS256", "SIGNING_KEY": private, "VERIFYING_KEY": public}
        with override_settings(MEMORIES=agents, SIMPLE_JWT=host):
            (message,) = separation_errors()
        assert message.startswith("SIMPLE_JWT['SIGNING_KEY'] signs tokens that the memory API")

    def test_one_key_pair_on_both_sides_is_an_error_both_ways(self):
        private, public = rsa_pair()
        keys = {"JWT_ALGORITHM": "RS256", "JWT_SIGNING_KEY": private, "JWT_VERIFYING_KEY": public}
        host = {"ALGORITHM": "RS256", "SIGNING_KEY": private, "VERIFYING_KEY": public}
        with override_settings(MEMORIES=memories_with(**keys), SIMPLE_JWT=host):
            assert len(separation_errors()) == 2

    def test_one_key_set_url_on_both_sides_is_an_error(self):
        url = "https://login.example.com/.well-known/jwks.json"
        agents = memories_with(JWT_ALGORITHM="RS256", JWT_SIGNING_KEY="", JWT_JWK_URL=url)
        with override_settings(MEMORIES=agents, SIMPLE_JWT={"JWK_URL": url}):
            (message,) = separation_errors()
        assert message.startswith("MEMORIES['JWT_JWK_URL'] is SIMPLE_JWT['JWK_URL']")

    def test_different_keys_pass(self):
        private, public = rsa_pair()
        host_private, host_public = other_rsa_pair()
        keys = {"JWT_ALGORITHM": "RS256", "JWT_SIGNING_KEY": private, "JWT_VERIFYING_KEY": public}
        host = {"ALGORITHM": "RS256", "SIGNING_KEY": host_private, "VERIFYING_KEY": host_public}
        with override_settings(MEMORIES=memories_with(**keys), SIMPLE_JWT=host):
            assert separation_errors() == []
        with override_settings(SIMPLE_JWT={"SIGNING_KEY": "another-" + HS256_KEY}):
            assert separation_errors() == []
