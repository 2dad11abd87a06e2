"""The wheel holds only the app, and installs into a brand-new project as the README says."""

import ast
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import time
import zipfile
from contextlib import closing
from email.parser import Parser
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
import requests

from tests.servers import ROOT, free_port

README = (ROOT / "README.md").read_text()

# The installation steps, exactly as the README gives them: if it changes, so must this.
INSTALLED_APPS_LINE = 'INSTALLED_APPS = [..., "rest_framework", "drf_spectacular", "memories"]'
URL_LINE = 'path("", include("memories.urls")),'
ROUTER_LINE = 'DATABASE_ROUTERS = ["memories.routers.MemoryRouter"]'


# The new project is configured by its own files only.
CLEAN_ENV = {
    key: value
    for key, value in os.environ.items()
    if not key.startswith(("DJANGO_", "AGENTOS_", "DATABASE_URL", "PYTHONPATH"))
}


def sh(*command: str | Path, cwd: Path | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=cwd,
        env=CLEAN_ENV,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


@pytest.fixture(scope="module")
def wheel(tmp_path_factory):
    out = tmp_path_factory.mktemp("dist")
    sh(sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", out, ROOT)
    (built,) = out.glob("agentos_memories-*.whl")
    return built


def test_wheel_holds_the_app_only(wheel):
    names = zipfile.ZipFile(wheel).namelist()

    assert all(name.startswith(("memories/", "agentos_memories-")) for name in names), names
    assert "memories/py.typed" in names
    assert "memories/migrations/0001_initial.py" in names
    assert "memories/templates/memories/admin/confirm_deletion.html" in names
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
    assert set(metadata.get_all("Provides-Extra", [])) == {"server", "postgres", "mysql"}
    assert metadata["License-Expression"] == "MIT"
    assert "agentos_memories-0.1.0.dist-info/licenses/LICENSE" in files.namelist()
    # Every package the app imports comes with it, or with the extra of its database.
    providers = packages_distributions()
    imported = {
        _distribution(providers[name][0]) for name in _third_party_imports(ROOT / "memories")
    }
    assert imported <= always | extras, imported - always - extras


def test_readme_installation_into_a_new_project(wheel, tmp_path):
    for line in (INSTALLED_APPS_LINE, URL_LINE, ROUTER_LINE):
        assert line in README, f"the README no longer says {line!r}"

    venv = tmp_path / "venv"
    sh(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    # The host's own WSGI server: the app requires none.
    sh(python, "-m", "pip", "install", "--quiet", wheel, "gunicorn")
    sh(venv / "bin" / "django-admin", "startproject", "hostsite", cwd=tmp_path)
    project = tmp_path / "hostsite"

    key = secrets.token_urlsafe(48)
    settings = project / "hostsite" / "settings.py"
    settings.write_text(
        settings.read_text()
        + "\n# agentos-memories, as its README says\n"
        + INSTALLED_APPS_LINE.replace("INSTALLED_APPS = [...,", "INSTALLED_APPS += [")
        + "\n"
        + ROUTER_LINE
        + f'\nSIMPLE_JWT = {{"ALGORITHM": "HS256", "SIGNING_KEY": "{key}"}}\n'
    )
    urls = project / "hostsite" / "urls.py"
    urls.write_text(
        urls.read_text()
        .replace("from django.urls import path", "from django.urls import include, path")
        .replace("urlpatterns = [", f"urlpatterns = [\n    {URL_LINE}")
    )
    manage = [python, project / "manage.py"]
    sh(*manage, "migrate", "--noinput", cwd=project)
    sh(*manage, "check", cwd=project)
    with closing(sqlite3.connect(project / "db.sqlite3")) as connection, connection:
        connection.execute(
            "INSERT INTO agno_memories (memory_id, memory, user_id, created_at)"
            " VALUES ('m1', '\"likes tea\"', 'alice', 1)"
        )
    token = sh(*manage, "issue_token", "alice", cwd=project)

    port = free_port()
    server = subprocess.Popen(
        [venv / "bin" / "gunicorn", "hostsite.wsgi", "--bind", f"127.0.0.1:{port}"],
        cwd=project,
        env=CLEAN_ENV,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{port}/memories/m1"
        for _ in range(100):
            try:
                response = requests.delete(
                    url, headers={"Authorization": f"Bearer {token}"}, timeout=5
                )
                break
            except requests.ConnectionError:
                time.sleep(0.1)
        assert response.status_code == 204
    finally:
        server.terminate()
        server.wait(timeout=10)
    with closing(sqlite3.connect(project / "db.sqlite3")) as connection, connection:
        assert connection.execute("SELECT count(*) FROM agno_memories").fetchone() == (0,)
        assert connection.execute("SELECT count(*) FROM memories_memorydeletion").fetchone() == (
            1,
        )
