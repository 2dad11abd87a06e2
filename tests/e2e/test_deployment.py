"""Production configuration of the host project: deploy checks, and no start without a key."""

import secrets
import sys

import pytest

from tests.servers import project_command

PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "memories.example.com",
    "DJANGO_SECURE": "1",
    "AGENTOS_JWT_SIGNING_KEY": secrets.token_urlsafe(48),
    "AGENTOS_DEV_SECRETS": "off",
}


def test_check_deploy_passes_with_the_recommended_production_settings():
    result = project_command(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_missing_jwt_key_fails_the_deploy_check():
    settings = {**PRODUCTION}
    del settings["AGENTOS_JWT_SIGNING_KEY"]

    result = project_command([sys.executable, "manage.py", "check", "--deploy"], **settings)

    assert result.returncode == 1
    assert "memories.E006" in result.stderr


@pytest.mark.parametrize("with_key", [True, False])
def test_the_application_refuses_to_load_without_a_key(with_key):
    """Every WSGI server (granian, gunicorn...) starts by importing the application."""
    settings = {**PRODUCTION}
    if not with_key:
        del settings["AGENTOS_JWT_SIGNING_KEY"]

    result = project_command([sys.executable, "-c", "import agentos.wsgi"], **settings)

    if with_key:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert "memories.E006" in result.stderr + result.stdout


def test_debug_is_off_unless_asked():
    code = "from django.conf import settings; print(settings.DEBUG)"
    off = project_command(
        [sys.executable, "-c", f"import django; django.setup(); {code}"], **PRODUCTION
    )
    on = project_command(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        **PRODUCTION,
        DJANGO_DEBUG="1",
    )
    assert off.stdout.strip() == "False"
    assert on.stdout.strip() == "True"
