"""The wheel holds only the app, and installs into a brand-new project exactly as the README
says: its commands and code blocks are read from the README and applied to a fresh
`django-admin startproject`, which is then served and used over HTTP."""

import ast
import json
import os
import re
import secrets
import shlex
import sqlite3
import subprocess
import sys
import textwrap
import time
import zipfile
from contextlib import closing
from email.parser import Parser
from importlib.metadata import packages_distributions
from importlib.metadata import requires as requires_of
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import jwt
import pytest
import requests

from tests.documents import references
from tests.servers import ROOT, serving

INSTALL_HEADING = "## Installing the app into a Django project"

# The new project is configured by its own files, and the variable its settings read.
SIGNING_KEY = secrets.token_urlsafe(48)
CLEAN_ENV = {
    **{
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AGENTOS_", "DATABASE_URL", "PYTHONPATH"))
    },
    "AGENTOS_JWT_SIGNING_KEY": SIGNING_KEY,
}


def installation_steps() -> str:
    readme = (ROOT / "README.md").read_text()
    start = readme.index(INSTALL_HEADING)
    end = readme.index("\n## ", start + len(INSTALL_HEADING))
    return readme[start:end]


def code_blocks(text: str, language: str) -> list[str]:
    """The fenced blocks of a language, dedented as they sit inside list items."""
    pattern = rf"^( *)```{language}\n(.*?)^\1```"
    return [
        textwrap.dedent(match.group(2))
        for match in re.finditer(pattern, text, flags=re.MULTILINE | re.DOTALL)
    ]


def block_for(file_name: str) -> str:
    """The README's python block that starts with a comment naming the file it goes in."""
    (block,) = [
        block
        for block in code_blocks(installation_steps(), "python")
        if block.startswith(f"# {file_name}\n")
    ]
    return block


def readme_commands() -> list[list[str]]:
    return [
        shlex.split(line)
        for block in code_blocks(installation_steps(), "sh")
        for line in block.splitlines()
        if line.strip()
    ]


def sh(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=env or CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def distribution(tmp_path_factory) -> dict[str, Path]:
    """What `make dist` builds (bin/dist: an sdist, the wheel built from it, both checked by
    twine), by the locked setuptools of this environment."""
    out = tmp_path_factory.mktemp("dist")
    sh(sys.executable, ROOT / "bin" / "dist", out)
    (sdist,) = out.glob("agentos_memories-*.tar.gz")
    (wheel,) = out.glob("agentos_memories-*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.fixture(scope="module")
def wheel(distribution: dict[str, Path]) -> Path:
    return distribution["wheel"]


@pytest.fixture(scope="module")
def locked_versions(tmp_path_factory):
    """The versions this test environment runs, from its lock: the new project's installs
    resolve to them, so no new release elsewhere changes what this test installs."""
    constraints = tmp_path_factory.mktemp("constraints") / "constraints.txt"
    constraints.write_text(sh(sys.executable, "-m", "pip", "freeze", "--exclude-editable"))
    return constraints


def test_wheel_holds_the_app_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()

    assert all(name.startswith(("memories/", "agentos_memories-")) for name in names), names
    assert "memories/py.typed" in names
    assert "memories/migrations/0001_initial.py" in names
    assert "memories/templates/memories/admin/confirm_deletion.html" in names
    assert "memories/templates/memories/docs/redoc.html" in names
    assert "memories/static/memories/redoc/logo-mini.svg" in names
    assert "memories/locale/de/LC_MESSAGES/django.po" in names
    assert "memories/locale/de/LC_MESSAGES/django.mo" in names
    assert not any(name.startswith(("tests/", "agentos/", "templates/")) for name in names)


def _distribution(requirement: str) -> str:
    return re.split(r"[\[<>=!~;\s]", requirement, maxsplit=1)[0].lower().replace("_", "-")


def _third_party_imports(package: Path) -> set[str]:
    names: set[str] = set()
    for module in package.rglob("*.py"):
        for node in ast.walk(ast.parse(module.read_text())):
            if isinstance(node, ast.Import):
                names.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                names.add(node.module.split(".")[0])
    return {name for name in names if name != "memories" and name not in sys.stdlib_module_names}


def test_the_wheel_requires_what_the_app_imports_and_no_server(wheel):
    files = zipfile.ZipFile(wheel)
    metadata = Parser().parsestr(files.read("agentos_memories-0.1.0.dist-info/METADATA").decode())
    requires = metadata.get_all("Requires-Dist", [])
    always = {_distribution(line) for line in requires if "extra ==" not in line}
    extras = {_distribution(line) for line in requires if "extra ==" in line}

    assert always == {
        "django",
        "djangorestframework",
        "drf-spectacular",
        # Swagger UI and Redoc, served by the app without a CDN.
        "drf-spectacular-sidecar",
        "djangorestframework-simplejwt",
    }
    assert "Django<7,>=5.2" in requires
    assert set(metadata.get_all("Provides-Extra", [])) == {
        "server",
        "postgres",
        "mysql",
        "metrics",
    }
    assert metadata["License-Expression"] == "MIT"
    assert "agentos_memories-0.1.0.dist-info/licenses/LICENSE" in files.namelist()
    # Every package the app imports comes with it, or with the extra of its database, or
    # with Django itself (asgiref, which Django's own ASGI handler runs on).
    providers = packages_distributions()
    imported = {
        _distribution(providers[name][0]) for name in _third_party_imports(ROOT / "memories")
    }
    with_django = {_distribution(line) for line in requires_of("django") or []}
    provided = always | extras | with_django
    assert imported <= provided, imported - provided


def installed_into_new_venv(venv: Path, requirement: str, constraints: Path) -> str:
    """A new virtualenv with the requirement installed at the locked versions; its python."""
    sh(sys.executable, "-m", "venv", venv)
    python = str(venv / "bin" / "python")
    sh(python, "-m", "pip", "install", "--quiet", "-c", constraints, requirement)
    return python


def test_the_sdist_installs_with_every_extra_into_a_fresh_virtualenv(
    distribution, locked_versions, tmp_path
):
    venv = tmp_path / "venv"
    requirement = f"agentos-memories[postgres,mysql,server] @ {distribution['sdist'].as_uri()}"

    python = installed_into_new_venv(venv, requirement, locked_versions)

    sh(python, "-m", "pip", "check")
    installed = sh(
        python,
        "-c",
        "import granian, MySQLdb, psycopg, memories.apps; print(memories.apps.__file__)",
        cwd=tmp_path,  # not this checkout, whose memories/ would be imported instead
    )
    assert installed.startswith(str(venv)), installed
    listed = {
        package["name"].lower()
        for package in json.loads(sh(python, "-m", "pip", "list", "--format=json"))
    }
    assert {"agentos-memories", "django", "psycopg", "mysqlclient", "granian"} <= listed


@pytest.fixture(scope="module")
def host_project(wheel, locked_versions, tmp_path_factory):
    """A fresh startproject with the app installed and configured by the README's steps."""
    return installed(tmp_path_factory.mktemp("host"), wheel, locked_versions)


def installed(
    folder: Path,
    wheel: Path,
    locked_versions: Path,
    *,
    host_code: dict[str, str] | None = None,
    prefix: str = "",
) -> Path:
    """A fresh startproject, with host_code (file name -> code of the host's own) added to its
    files, then the app installed and configured by the README's steps (its URLs mounted
    under prefix)."""
    venv = folder / "venv"
    build, install, *project_commands = readme_commands()
    assert build == ["make", "dist"], build  # what the distribution fixture ran (bin/dist)
    assert install[:4] == ["python", "-m", "pip", "install"], install
    (requirement,) = install[4:]
    name, extras, url = re.fullmatch(r"([\w-]+)(\[[\w,]+\])? @ (\S+)", requirement).groups()  # type: ignore[union-attr]
    assert name == "agentos-memories"
    # The README names the file make dist builds today, in the checkout's dist/ folder.
    assert url == f"file:///path/to/agentos-memories/dist/{wheel.name}", url
    python = installed_into_new_venv(venv, f"{name}{extras} @ {wheel.as_uri()}", locked_versions)

    sh(venv / "bin" / "django-admin", "startproject", "hostsite", cwd=folder)
    project = folder / "hostsite"
    for file_name in ("settings.py", "urls.py"):
        module = project / "hostsite" / file_name
        own = (host_code or {}).get(file_name, "")
        block = block_for(file_name).replace('path("", include(', f'path("{prefix}", include(')
        module.write_text(module.read_text() + "\n" + own + "\n" + block)

    for command in project_commands:
        assert command[:2] == ["python", "manage.py"], command
    (migrate, issue_token) = project_commands
    sh(python, *migrate[1:], cwd=project)
    assert issue_token[2] == "issue_token"
    (project / "token-alice").write_text(sh(python, *issue_token[1:], cwd=project))
    sh(
        python,
        "manage.py",
        "createsuperuser",
        "--noinput",
        "--username",
        "operator",
        "--email",
        "operator@example.com",
        cwd=project,
        env={**CLEAN_ENV, "DJANGO_SUPERUSER_PASSWORD": "s3cret-pass"},
    )
    return project


@pytest.fixture(scope="module")
def served(host_project):
    """The new project served by Django's own server over HTTP (its static files too)."""
    python = str(host_project.parent / "venv" / "bin" / "python")

    def runserver(port: int) -> list[str]:
        return [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]

    with serving(
        runserver,
        CLEAN_ENV,
        host_project / "server.log",
        ready_path="/admin/login/",
        cwd=host_project,
    ) as started:
        yield f"http://127.0.0.1:{started.port}"


def rows(project: Path, query: str) -> list[tuple]:
    with closing(sqlite3.connect(project / "db.sqlite3")) as connection:
        return connection.execute(query).fetchall()


def memory_created(base: str, token: str, text: str) -> str:
    response = requests.post(
        f"{base}/memories",
        json={"memory": text, "topics": ["drinks"]},
        headers={"Authorization": f"Bearer {token}"},
        timeout=10,
    )
    assert response.status_code == 201, response.text
    return str(response.json()["memory_id"])


def test_a_token_deletes_its_owners_memory(host_project, served):
    token = (host_project / "token-alice").read_text()
    kept = memory_created(served, token, "likes tea")
    deleted = memory_created(served, token, "likes coffee")

    response = requests.delete(
        f"{served}/memories/{deleted}", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )

    assert response.status_code == 204
    remaining = {
        memory_id for (memory_id,) in rows(host_project, "SELECT memory_id FROM agno_memories")
    }
    assert kept in remaining and deleted not in remaining
    records = rows(
        host_project,
        "SELECT actor, channel, memory_ids, count FROM memories_memorydeletion"
        f" WHERE memory_ids LIKE '%{deleted}%'",
    )
    assert [
        (actor, channel, json.loads(ids), count) for actor, channel, ids, count in records
    ] == [("alice", "api", [deleted], 1)]


def test_the_admin_deletes_a_memory_with_its_audit_record(host_project, served):
    memory_id = memory_created(served, (host_project / "token-alice").read_text(), "likes jazz")
    session = requests.Session()
    login = f"{served}/admin/login/"
    session.get(login, timeout=10)
    response = session.post(
        login,
        data={
            "username": "operator",
            "password": "s3cret-pass",
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
            "next": "/admin/",
        },
        headers={"Referer": login},
        timeout=10,
    )
    assert response.url == f"{served}/admin/", response.text
    changelist = session.get(f"{served}/admin/memories/memory/", timeout=10)
    assert memory_id[:8] in changelist.text

    delete_page = f"{served}/admin/memories/memory/{memory_id}/delete/"
    confirmation = session.get(delete_page, timeout=10)
    assert "This deletion is permanent" in confirmation.text
    response = session.post(
        delete_page,
        data={"confirmed": "yes", "csrfmiddlewaretoken": session.cookies["csrftoken"]},
        headers={"Referer": delete_page},
        timeout=10,
    )

    assert f"Deleted memory {memory_id} from default" in response.text
    assert rows(host_project, f"SELECT 1 FROM agno_memories WHERE memory_id = '{memory_id}'") == []
    assert rows(
        host_project,
        "SELECT actor, channel, count FROM memories_memorydeletion"
        f" WHERE memory_ids LIKE '%{memory_id}%'",
    ) == [("operator", "admin", 1)]


def test_the_openapi_document_describes_the_memory_api(served):
    document = requests.get(f"{served}/openapi.json", timeout=30).json()

    assert document["openapi"].startswith("3.1")
    assert "delete" in document["paths"]["/memories/{memory_id}"]
    assert all(not path.startswith("/admin") for path in document["paths"])


@pytest.mark.parametrize("page", ["docs", "redoc"])
def test_docs_pages_load_everything_from_the_server(served, page):
    response = requests.get(f"{served}/{page}", timeout=10)
    assert response.status_code == 200
    urls = references(response.text)
    assert urls, response.text

    for url in urls:
        absolute = urljoin(response.url, url)
        assert urlsplit(absolute).netloc == urlsplit(served).netloc, url
        assert requests.get(absolute, timeout=10).status_code == 200, url


# A host that already runs a Django REST framework API: its users log in with simplejwt
# (signed with SECRET_KEY, simplejwt's default), its REST_FRAMEWORK defaults are JWT and
# IsAuthenticated with pagination, versioning and throttles, it speaks German in Berlin's time
# zone, and it mounts the memory API under a prefix.
HOST_SETTINGS = """
INSTALLED_APPS += ["rest_framework", "rest_framework_simplejwt"]
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication"
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 1,
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.AcceptHeaderVersioning",
    "ALLOWED_VERSIONS": ["1.0"],
    "DEFAULT_VERSION": "1.0",
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"user": "1000/day"},
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
}
LANGUAGE_CODE = "de"
TIME_ZONE = "Europe/Berlin"
"""
HOST_URLS = """
from rest_framework.decorators import api_view
from rest_framework.response import Response
from rest_framework_simplejwt.views import TokenObtainPairView


@api_view(["GET"])
def me(request):
    return Response({"username": request.user.get_username(), "admin": request.user.is_superuser})


urlpatterns += [path("api/token/", TokenObtainPairView.as_view()), path("api/me/", me)]
"""
PREFIX = "agents/"


@pytest.fixture(scope="module")
def guest_served(wheel, locked_versions, tmp_path_factory):
    """The app installed by the README into a host with simplejwt users of its own, served."""
    project = installed(
        tmp_path_factory.mktemp("guest"),
        wheel,
        locked_versions,
        host_code={"settings.py": HOST_SETTINGS, "urls.py": HOST_URLS},
        prefix=PREFIX,
    )
    python = str(project.parent / "venv" / "bin" / "python")
    assert "memories." not in sh(python, "manage.py", "check", cwd=project)

    def runserver(port: int) -> list[str]:
        return [python, "manage.py", "runserver", "--noreload", f"127.0.0.1:{port}"]

    with serving(
        runserver, CLEAN_ENV, project / "server.log", ready_path="/admin/login/", cwd=project
    ) as started:
        yield project, f"http://127.0.0.1:{started.port}"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def host_login(base: str) -> str:
    response = requests.post(
        f"{base}/api/token/", json={"username": "operator", "password": "s3cret-pass"}, timeout=10
    )
    assert response.status_code == 200, response.text
    return str(response.json()["access"])


def test_in_a_host_with_its_own_users_the_agents_token_works_under_the_prefix(guest_served):
    project, base = guest_served
    token = (project / "token-alice").read_text()
    memory_id = memory_created(f"{base}/{PREFIX.rstrip('/')}", token, "likes tea")

    listed = requests.get(f"{base}/{PREFIX}memories", headers=bearer(token), timeout=10)
    deleted = requests.delete(
        f"{base}/{PREFIX}memories/{memory_id}", headers=bearer(token), timeout=10
    )

    assert listed.status_code == 200
    assert [memory["memory_id"] for memory in listed.json()["data"]] == [memory_id]
    assert deleted.status_code == 204
    assert rows(project, f"SELECT 1 FROM agno_memories WHERE memory_id = '{memory_id}'") == []


def test_a_host_users_token_from_its_own_login_is_refused_by_the_memory_api(guest_served):
    project, base = guest_served
    access = host_login(base)
    me = requests.get(f"{base}/api/me/", headers=bearer(access), timeout=10)
    assert me.json() == {"username": "operator", "admin": True}  # the host's API takes it

    response = requests.get(f"{base}/{PREFIX}memories", headers=bearer(access), timeout=10)

    assert response.status_code == 401
    assert response.json()["error_code"] == "UNAUTHENTICATED"


def test_no_token_signed_with_the_agents_key_is_a_host_user(guest_served):
    project, base = guest_served
    issued = (project / "token-alice").read_text()
    now = int(time.time())
    claims = {"token_type": "access", "user_id": 1, "jti": "x", "iat": now, "exp": now + 300}
    forged = jwt.encode(claims, SIGNING_KEY, algorithm="HS256")

    for token in (issued, forged):
        response = requests.get(f"{base}/api/me/", headers=bearer(token), timeout=10)
        assert response.status_code == 401, response.text


def test_the_hosts_language_speaks_for_the_memory_api(guest_served):
    """LANGUAGE_CODE = "de": the app's own details come from the German catalog the wheel
    ships, and the codes stay the same."""
    project, base = guest_served
    token = (project / "token-alice").read_text()

    response = requests.delete(
        f"{base}/{PREFIX}memories/absent", headers=bearer(token), timeout=10
    )

    assert response.status_code == 404
    assert response.json() == {"detail": "Erinnerung nicht gefunden", "error_code": "NOT_FOUND"}
