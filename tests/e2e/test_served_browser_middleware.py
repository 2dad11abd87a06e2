"""The project as `make run` serves it: sessions, users and messages for the admin (and its
CSRF checks), none of them for the memory API's bearer-token requests."""

import re
import subprocess
import sys
from collections.abc import Iterator

import pytest
import requests

from tests.servers import ROOT, Server, project_server

PASSWORD = "a-long-admin-password-42"
# A session cookie Django cannot use: the session middleware answers it by deleting it.
STALE_SESSION = {"sessionid": "x"}


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    with project_server(tmp_path_factory.mktemp("browser")) as running:
        subprocess.run(
            [sys.executable, "manage.py", "createsuperuser", "--noinput"],
            cwd=ROOT,
            env={
                **running.env,
                "DJANGO_SUPERUSER_USERNAME": "operator",
                "DJANGO_SUPERUSER_EMAIL": "operator@example.com",
                "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
            },
            check=True,
            capture_output=True,
            timeout=120,
        )
        yield running


def csrf_token(page: str) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert match, "no CSRF token in the page"
    return match.group(1)


@pytest.mark.parametrize(
    "path",
    ["/memories", "/memories/some-id", "/memories/", "/memory_topics", "/memories/a/b/c"],
)
def test_api_requests_run_no_session_middleware(server, path):
    response = requests.get(
        f"{server.base}{path}",
        headers=server.bearer("alice"),
        cookies=STALE_SESSION,
        timeout=30,
    )

    assert response.status_code in (200, 404)
    assert "set-cookie" not in response.headers
    assert "cookie" not in response.headers.get("vary", "").lower()


def test_unauthenticated_api_requests_run_none_either(server):
    response = requests.delete(f"{server.base}/memories/x", cookies=STALE_SESSION, timeout=30)

    assert response.status_code == 401
    assert "set-cookie" not in response.headers


def test_browser_pages_keep_sessions_and_csrf(server):
    response = requests.get(f"{server.base}/admin/login/", cookies=STALE_SESSION, timeout=30)

    assert response.status_code == 200
    # The stale session cookie is deleted, and a CSRF cookie is set for the form.
    assert 'sessionid=""' in response.headers["set-cookie"]
    assert "csrftoken=" in response.headers["set-cookie"]


def test_admin_refuses_a_post_without_its_csrf_token(server):
    response = requests.post(
        f"{server.base}/admin/login/",
        data={"username": "operator", "password": PASSWORD},
        timeout=30,
    )

    assert response.status_code == 403
    assert "CSRF" in response.text


def test_admin_logs_in_and_out_with_a_session(server):
    with requests.Session() as browser:
        login = browser.get(f"{server.base}/admin/login/", timeout=30)
        response = browser.post(
            f"{server.base}/admin/login/?next=/admin/",
            data={
                "username": "operator",
                "password": PASSWORD,
                "csrfmiddlewaretoken": csrf_token(login.text),
            },
            headers={"Referer": f"{server.base}/admin/login/"},
            timeout=30,
        )

        assert response.status_code == 200
        assert response.url == f"{server.base}/admin/"
        assert "operator" in response.text  # the user, from the session
        assert "sessionid" in browser.cookies

        # The admin's confirmation comes through the messages framework.
        form = browser.get(f"{server.base}/admin/auth/group/add/", timeout=30)
        added = browser.post(
            f"{server.base}/admin/auth/group/add/",
            data={"name": "editors", "csrfmiddlewaretoken": csrf_token(form.text)},
            headers={"Referer": f"{server.base}/admin/auth/group/add/"},
            timeout=30,
        )
        assert added.url == f"{server.base}/admin/auth/group/"
        assert "was added successfully" in added.text

        logout = browser.post(
            f"{server.base}/admin/logout/",
            data={"csrfmiddlewaretoken": csrf_token(added.text)},
            headers={"Referer": f"{server.base}/admin/auth/group/"},
            timeout=30,
        )
        assert logout.status_code == 200
        assert browser.get(f"{server.base}/admin/", timeout=30).url.startswith(
            f"{server.base}/admin/login/"
        )
