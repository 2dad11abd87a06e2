"""Where a DELETE /memories/{memory_id} spends its time, inside one worker process.

Calls the project's WSGI application directly (no server, no network client) with owner
tokens against a fresh PostgreSQL or SQLite database, and prints:
- the CPU time per request of this process (the database server's own CPU is not in it);
- the SQL statements one delete sends;
- a pyinstrument profile of the deletes, to see auth, routing, DRF, ORM, audit and rendering.
With --bulk each request is a bulk DELETE /memories of 1000 ids.

    .venv/bin/python bench/profile.py --backend postgres --requests 5000
    .venv/bin/python bench/profile.py --bulk --requests 100
"""

import argparse
import contextlib
import io
import json
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import jwt

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.bulk import agno_shaped_id  # noqa: E402
from bench.run import Database, project_env  # noqa: E402


def configure(database: Database, key: str, folder: Path) -> None:
    """This process configured as bench/run.py serves the project."""
    os.environ.clear()
    os.environ.update(project_env(database, key, folder))


@contextlib.contextmanager
def configured_database(backend: str) -> Iterator[tuple[Database, str]]:
    """A fresh database of backend, and this process configured to serve it as bin/serve
    does with a new signing key (returned); the database dropped afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        database = Database(backend, Path(folder))
        key = secrets.token_urlsafe(48)
        configure(database, key, Path(folder))
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
        try:
            yield database, key
        finally:
            from django.db import connections

            connections.close_all()
            database.drop()


def environ(path: str, token: str, body: bytes = b"") -> dict[str, Any]:
    content = {"CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(body))}
    return {
        **(content if body else {}),
        "REQUEST_METHOD": "DELETE",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1:8000",
        "HTTP_AUTHORIZATION": f"Bearer {token}",
        "wsgi.input": io.BytesIO(body),
        "wsgi.url_scheme": "http",
        "wsgi.errors": sys.stderr,
        "wsgi.multithread": False,
        "wsgi.multiprocess": True,
        "wsgi.run_once": False,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backend", choices=["postgres", "sqlite"], default="postgres")
    parser.add_argument("--requests", type=int, default=5000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--all", action="store_true", help="Show library frames too.")
    parser.add_argument(
        "--bulk", action="store_true", help="Bulk DELETE /memories of 1000 ids per request."
    )
    args = parser.parse_args()

    with configured_database(args.backend) as (database, key):
        profile(database, key, args)


def profile(database: Database, key: str, args: argparse.Namespace) -> None:
    import django
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    from django.db import connection
    from pyinstrument import Profiler

    from agentos.wsgi import application

    users = [f"user{n}" for n in range(args.users)]
    now = int(time.time())
    tokens = {
        user: jwt.encode({"sub": user, "iat": now, "exp": now + 3600}, key, algorithm="HS256")
        for user in users
    }
    if args.bulk:
        ids = [agno_shaped_id(n) for n in range(1000 * (args.requests + 1))]
        owners = dict.fromkeys(ids, users[0])
        plan = [
            environ("/memories", tokens[users[0]], json.dumps({"memory_ids": batch}).encode())
            for batch in (ids[start : start + 1000] for start in range(0, len(ids), 1000))
        ]
    else:
        owners = {f"m{n:07}": users[n % len(users)] for n in range(args.requests + 1)}
        plan = [environ(f"/memories/{memory_id}", tokens[u]) for memory_id, u in owners.items()]
    database.seed(owners)

    def start_response(
        status: str, headers: list[tuple[str, str]], exc_info: Any = None
    ) -> Callable[[bytes], object]:
        if not status.startswith("204"):
            raise RuntimeError(f"unexpected {status}")
        return lambda data: None

    def call(request: dict[str, Any]) -> None:
        response = application(request, start_response)
        b"".join(response)
        response.close()

    statements: list[str] = []

    def record(execute: Callable[..., Any], sql: str, *rest: Any) -> Any:
        statements.append(sql.split()[0] + " " + " ".join(sql.split()[1:4]))
        return execute(sql, *rest)

    call(plan.pop())  # the first request connects and warms the caches
    with connection.execute_wrapper(record):
        call(plan.pop())
    print("statements of one request:", *statements, sep="\n  ")

    measured, profiled = plan[: len(plan) // 2], plan[len(plan) // 2 :]
    cpu, wall = time.process_time(), time.perf_counter()
    for request in measured:
        call(request)
    cpu, wall = time.process_time() - cpu, time.perf_counter() - wall
    print(
        f"{len(measured)} requests: {1000 * cpu / len(measured):.3f} ms CPU and "
        f"{1000 * wall / len(measured):.3f} ms wall per request (not profiled)"
    )
    profiler = Profiler(interval=0.0002)
    with profiler:
        for request in profiled:
            call(request)
    left = database.memory_ids()
    assert not left, f"{len(left)} memories were not deleted"
    print(profiler.output_text(unicode=False, color=False, show_all=args.all))


if __name__ == "__main__":
    main()
