"""Check memories.E009 (memories/token_keys.py): a configuration in which one side's key
would sign tokens the other side's token system accepts is an error."""

from django.core.checks import run_checks
from django.test import override_settings

from tests.conftest import memories_with
from tests.keys import other_rsa_pair, rsa_pair
from tests.settings import HS256_KEY


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
