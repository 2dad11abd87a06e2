"""Production configuration of the host project: deploy checks, and no start without a key."""

import os
import secrets
import subprocess
import sys

import pytest

from tests.servers import GUNICORN, ROOT

PRODUCTION = {
    "DJANGO_SECRET_KEY": secrets.token_urlsafe(50),
    "DJANGO_ALLOWED_HOSTS": "memories.example.com",
    "DJANGO_SECURE": "1",
    "AGENTOS_JWT_SIGNING_KEY": secrets.token_urlsafe(48),
    "AGENTOS_DEV_SECRETS": "off",
}


def run(command: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AGENTOS_", "DATABASE_URL"))
    }
    env.update(DJANGO_SETTINGS_MODULE="agentos.settings", **variables)
    return subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def test_check_deploy_passes_with_the_recommended_production_settings():
    result = run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_missing_jwt_key_fails_the_deploy_check():
    settings = {**PRODUCTION}
    del settings["AGENTOS_JWT_SIGNING_KEY"]

    result = run([sys.executable, "manage.py", "check", "--deploy"], **settings)

    assert result.returncode == 1
    assert "memories.E006" in result.stderr


@pytest.mark.parametrize("with_key", [True, False])
def test_gunicorn_refuses_to_start_without_a_key(with_key):
    settings = {**PRODUCTION}
    if not with_key:
        del settings["AGENTOS_JWT_SIGNING_KEY"]

    result = run([str(GUNICORN), "--check-config", "agentos.wsgi"], **settings)

    if with_key:
        assert result.returncode == 0, result.stderr
    else:
        assert result.returncode != 0
        assert "memories.E006" in result.stderr + result.stdout


def test_debug_is_off_unless_asked():
    code = "from django.conf import settings; print(settings.DEBUG)"
    off = run([sys.executable, "-c", f"import django; django.setup(); {code}"], **PRODUCTION)
    on = run(
        [sys.executable, "-c", f"import django; django.setup(); {code}"],
        **PRODUCTION,
        DJANGO_DEBUG="1",
    )
    assert off.stdout.strip() == "False"
    assert on.stdout.strip() == "True"
