"""Servers on a free loopback port, for the tests over HTTP and for the benchmark: the host
project as `make run` serves it (bin/serve), or any other server command."""

import atexit
import functools
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import jwt
import requests

from tests.databases import PG_SERVER, scratch_postgres_database

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Server:
    base: str
    env: dict[str, str]
    # The server's process (bin/serve execs granian): its workers are its children.
    pid: int = 0

    def manage(self, *args: str) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        )
        return result.stdout.strip()

    def bearer(self, subject: str, *, admin: bool = False) -> dict[str, str]:
        token = self.manage("issue_token", subject, *(["--admin"] if admin else []))
        return {"Authorization": f"Bearer {token}"}


def clean_environment() -> dict[str, str]:
    """This process's environment without any setting of the project's own."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "AGENTOS_", "DATABASE_URL"))
    }
    env["DJANGO_SETTINGS_MODULE"] = "agentos.settings"
    # bin/serve runs on the interpreter running the tests, whichever virtualenv that is.
    env["AGENTOS_PYTHON"] = sys.executable
    # Nor of a developer's .env file at the repository root.
    env["AGENTOS_ENV_FILE"] = ""
    return env


def project_command(command: list[str], **variables: str) -> subprocess.CompletedProcess[str]:
    """Run a command in the repository with the project configured by variables only."""
    return subprocess.run(
        command,
        cwd=ROOT,
        env={**clean_environment(), **variables},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def process_tree(pid: int) -> list[int]:
    """A process and its descendants, parents first (from /proc)."""
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid] + [tree for child in children for tree in process_tree(int(child))]


@dataclass(frozen=True)
class Started:
    port: int
    process: subprocess.Popen[bytes]

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextmanager
def serving(
    command: Callable[[int], list[str]],
    env: dict[str, str],
    log_path: Path,
    *,
    ready_path: str,
    processes: int = 1,
    log_output: bool = True,
    cwd: Path = ROOT,
) -> Iterator[Started]:
    """A server started by `command(port)` on a free loopback port (also given as HOST and
    PORT), once it answers `ready_path` and runs `processes` processes (a parent and its
    workers); stopped afterwards. Its errors go to log_path, and its output too unless
    log_output is False (the benchmark keeps access logs off the disk it measures on)."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with log_path.open("ab") as log:
        process = subprocess.Popen(
            command(port),
            cwd=cwd,
            env={**env, "HOST": "127.0.0.1", "PORT": str(port)},
            stdout=log if log_output else subprocess.DEVNULL,
            stderr=log,
        )
    try:
        _wait_until_serving(f"{base}{ready_path}", processes, log_path, process)
        yield Started(port=port, process=process)
    finally:
        process.terminate()
        process.wait(timeout=30)


def _wait_until_serving(
    url: str, processes: int, log_path: Path, process: subprocess.Popen[bytes]
) -> None:
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        try:
            # Any answer will do: a cheap one once a worker serves.
            requests.get(url, timeout=5)
            if len(process_tree(process.pid)) >= processes:
                return
        except requests.RequestException:
            pass
        time.sleep(0.1)
    raise RuntimeError(f"the server did not start: {log_path.read_text()[-4000:]}")


@functools.cache
def collected_static() -> str:
    """The project's static files, collected once per test process into a folder every served
    project reads (collecting and compressing them takes seconds of CPU at each start)."""
    folder = tempfile.mkdtemp(prefix="agentos-static-")
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    result = project_command(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v", "0"],
        DJANGO_STATIC_ROOT=folder,
        DATABASE_URL="sqlite://:memory:",  # not the checkout's db.sqlite3
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        AGENTOS_JWT_SIGNING_KEY=secrets.token_urlsafe(48),
        AGENTOS_DEV_SECRETS="off",
    )
    assert result.returncode == 0, result.stderr
    return folder


@contextmanager
def project_server(folder: Path, **variables: str) -> Iterator[Server]:
    """The `agentos` project as `make run` serves it (bin/serve: migrations, granian),
    configured by environment variables only; its static files collected once for all
    (tests/e2e/test_http_server.py collects them at start, as `make run` does)."""
    env = clean_environment()
    env.update(
        DATABASE_URL=f"sqlite:///{folder / 'db.sqlite3'}",
        AGENTOS_JWT_SIGNING_KEY=secrets.token_urlsafe(48),
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        AGENTOS_DEV_SECRETS="off",
    )
    # AGENTOS_TEST_INTERFACE=asgi: every served test through agentos.asgi instead.
    env.update(AGENTOS_INTERFACE=os.environ.get("AGENTOS_TEST_INTERFACE", "wsgi"))
    if "DJANGO_STATIC_ROOT" not in variables:
        env.update(DJANGO_STATIC_ROOT=collected_static(), AGENTOS_COLLECTSTATIC="off")
    env.update(variables)
    # The schema may take seconds; the topics answer 401 as soon as a worker serves.
    with serving(
        lambda port: [str(ROOT / "bin" / "serve")],
        env,
        folder / "server.log",
        ready_path="/memory_topics",
    ) as started:
        env.update(HOST="127.0.0.1", PORT=str(started.port))
        yield Server(started.base, env, pid=started.process.pid)


@dataclass(frozen=True)
class PostgresDeployment:
    """The project served on a scratch PostgreSQL database, and the key its tokens need."""

    server: Server
    database: str
    signing_key: str

    def token(self, subject: str, *, ttl: int = 3600) -> str:
        now = int(time.time())
        claims = {"sub": subject, "iat": now, "exp": now + ttl}
        return jwt.encode(claims, self.signing_key, algorithm="HS256")


@contextmanager
def served_on_postgres(
    folder: Path, prefix: str, *, workers: int, threads: int = 4
) -> Iterator[PostgresDeployment]:
    """The project with `workers` workers of `threads` threads on a new database named after
    prefix."""
    signing_key = secrets.token_urlsafe(48)
    with (
        scratch_postgres_database(prefix) as database,
        project_server(
            folder,
            DATABASE_URL=f"{PG_SERVER}/{database}",
            AGENTOS_JWT_SIGNING_KEY=signing_key,
            WEB_CONCURRENCY=str(workers),
            AGENTOS_BLOCKING_THREADS=str(threads),
        ) as server,
    ):
        yield PostgresDeployment(server=server, database=database, signing_key=signing_key)
