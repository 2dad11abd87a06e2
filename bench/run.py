"""Delete benchmark: the production server under wrk, against the database's own cost.

Run with `make bench`. For PostgreSQL and SQLite, interleaved, --runs times each:
- seeds memories directly in the database, serves the project with `bin/serve` (what `make run`
  runs: granian, 2 workers, JWT, ownership and audit on), warms its workers, replays
  DELETE /memories/{id} with wrk (each id once) at concurrency 16 and 64 with owner tokens, and
  at 16 with an admin token plus ?user_id=; reports requests/s, latency percentiles, status
  counts, the server's CPU time per request and its workers' peak memory, then checks exactly
  the targeted rows are gone;
- on PostgreSQL, right after each of those, the same replay against the peer, Agno's own
  AgentOS (bench/peer.py: FastAPI and uvicorn, 2 workers, JWT with per-user isolation) over
  the same rows in its own table of the same database, and the owner replays against the
  project served by gunicorn (2 sync workers, access log), the other server candidate, and
  against the framework's floor (bench/framework_floor.py: one DRF view, one statement, no
  middleware, token, audit or log line, served by granian as bin/serve serves the project);
- with --python, right after the project's own replays (or right before them, every other
  run), the same replays against the project served by bin/serve with that interpreter (a
  virtualenv holding the same lock): two Pythons on the same code and the same rows;
- issues the same number of single-row DELETE statements from one process (autocommit);
- erases one user's memories through the erase command, through bulk DELETE /memories in
  batches of 1000 ids (from one client, then from two at once), with one raw
  DELETE ... WHERE user_id, with one statement that deletes them and writes their audit
  record, and with plain DELETEs of the same batches of 1000 ids.
Writes the medians (min-max) to BENCHMARKS.md, and each target as the median of the ratios
measured within each run.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import resource
import secrets
import signal
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import jwt
import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import http_floor, peer  # noqa: E402
from bench.bulk import bulk_api_deletes, id_batches, raw_id_deletes  # noqa: E402
from bench.sections import kept_section  # noqa: E402
from tests.databases import PG_SERVER as PG  # noqa: E402
from tests.servers import clean_environment, process_tree, serving  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
TICKS = os.sysconf("SC_CLK_TCK")
CORES = os.cpu_count() or 1
SCENARIOS = [("owner", 16), ("owner", 64), ("admin", 16)]
TABLE = "agno_memories"
PEER_TABLE = f"{peer.SCHEMA}.{peer.TABLE}"
# The servers of the HTTP replays: the project as `make run` serves it (granian), the peer
# (Agno's AgentOS), the project under gunicorn (the other candidate), and the least Django and
# DRF do for a delete under the same granian (the last two: owner replays only).
PROJECT, PEER, GUNICORN, FLOOR = "project", "peer", "gunicorn", "framework floor"
# Tokens carry the scopes Agno's AgentOS requires (the project requires none by default).
OWNER_SCOPES = ["memories:read", "memories:delete"]


def token(key: str, subject: str, admin: bool = False) -> str:
    now = int(time.time())
    claims = {"sub": subject, "iat": now, "exp": now + 7200}
    claims["scopes"] = ["agent_os:admin"] if admin else OWNER_SCOPES
    return jwt.encode(claims, key, algorithm="HS256")


class Database:
    """A fresh PostgreSQL database or SQLite file, with raw access for seeding and checks."""

    def __init__(self, backend: str, folder: Path, prefix: str = "agentos_bench") -> None:
        self.backend = backend
        if backend == "postgres":
            self.name = f"{prefix}_{os.getpid()}"
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')
                connection.execute(f'CREATE DATABASE "{self.name}"')
            self.url = f"{PG}/{self.name}"
        else:
            self.path = folder / "bench.sqlite3"
            self.url = f"sqlite:///{self.path}"

    def connect(self) -> contextlib.AbstractContextManager:  # type: ignore[type-arg]
        if self.backend == "postgres":
            return psycopg.connect(self.url, autocommit=True)
        connection = sqlite3.connect(self.path, isolation_level=None, timeout=30)
        return contextlib.closing(connection)

    def execute_many(self, sql: str, rows: list[tuple]) -> None:  # type: ignore[type-arg]
        with self.connect() as connection:
            if self.backend == "postgres":
                with connection.cursor() as cursor:
                    cursor.executemany(sql, rows)
            else:
                connection.execute("BEGIN")
                connection.executemany(sql.replace("%s", "?"), rows)
                connection.execute("COMMIT")

    @property
    def sqlalchemy_url(self) -> str:
        return self.url.replace("postgres://", "postgresql+psycopg://", 1)

    def seed(self, owners: dict[str, str], table: str = TABLE) -> None:
        self.execute_many(
            f"INSERT INTO {table} (memory_id, memory, user_id, created_at, updated_at)"
            " VALUES (%s, '\"benchmark\"', %s, 1, 1)",
            list(owners.items()),
        )
        with self.connect() as connection:
            # Statistics, as autovacuum keeps them for a table in service: a table loaded a
            # moment ago has none, and gets plans that no table in service gets.
            connection.execute(f"ANALYZE {table}")

    def backend_pids(self) -> list[int]:
        """The PostgreSQL server processes connected to this database (none for SQLite)."""
        if self.backend != "postgres":
            return []
        with self.connect() as connection:
            found = connection.execute(
                "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
                [self.name],
            )
            return [row[0] for row in found]

    def memory_ids(self, table: str = TABLE) -> set[str]:
        with self.connect() as connection:
            return {row[0] for row in connection.execute(f"SELECT memory_id FROM {table}")}

    def clear(self) -> None:
        # Emptied, not left full of deleted rows: each scenario starts from the same table.
        # (SQLite's DELETE without WHERE empties the table the same way.)
        with self.connect() as connection:
            if self.backend == "postgres":
                tables = ["agno_memories", "memories_memorydeletion"]
                if connection.execute("SELECT to_regclass(%s)", [PEER_TABLE]).fetchone()[0]:
                    tables.append(PEER_TABLE)
                connection.execute(f"TRUNCATE {', '.join(tables)}")
            else:
                connection.execute("DELETE FROM agno_memories")
                connection.execute("DELETE FROM memories_memorydeletion")

    def drop(self) -> None:
        if self.backend == "postgres":
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def project_env(database: Database, key: str, folder: Path) -> dict[str, str]:
    env = clean_environment()
    env.update(
        AGENTOS_PYTHON=sys.executable,
        DATABASE_URL=database.url,
        AGENTOS_JWT_SIGNING_KEY=key,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        AGENTOS_DEV_SECRETS="off",
        DJANGO_STATIC_ROOT=str(folder / "static"),
    )
    return env


def interpreter_label(python: str) -> str:
    """How the replays of the project served by python are named: its version."""
    version = subprocess.run(
        [python, "-c", "import platform; print(platform.python_version())"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    return f"Python {version}"


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def children_cpu_seconds() -> float:
    """CPU time of this process's children that have ended (wrk, once it has)."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def peak_memory_mib(workers: list[int]) -> float:
    """The largest peak resident size of the workers (a helper process that came and went
    meanwhile, such as a multiprocessing tracker, is no worker)."""
    peaks = []
    for pid in workers:
        with contextlib.suppress(FileNotFoundError):
            status = Path(f"/proc/{pid}/status").read_text()
            peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)  # type: ignore[union-attr]
    if not peaks:
        raise RuntimeError(f"the workers {workers} exited during the run")
    return max(peaks)


def server_command(server: str, port: int) -> list[str]:
    """How each server of the replays is started (bin/serve migrates and collects first)."""
    if server == PROJECT:
        return [str(ROOT / "bin" / "serve")]
    if server == GUNICORN:
        # The settings gunicorn was run with before granian: sync workers, the access log.
        return [
            str(BIN / "gunicorn"),
            "agentos.wsgi:application",
            f"--bind=127.0.0.1:{port}",
            "--workers=2",
            "--access-logfile=-",
        ]
    if server == FLOOR:
        return http_floor.granian("bench.framework_floor:application", port)
    return [
        str(BIN / "uvicorn"),
        "bench.peer:application",
        "--factory",
        "--host=127.0.0.1",
        f"--port={port}",
        "--workers=2",
    ]


# What a connection whose list is used up fetches: a 200 from each server.
FILLER = {
    PROJECT: "/static/admin/img/icon-yes.svg",
    GUNICORN: "/static/admin/img/icon-yes.svg",
    PEER: "/health",
    FLOOR: "/ready",  # bench/framework_floor.py's FILLER
}


@contextlib.contextmanager
def served(
    env: dict[str, str], folder: Path, server: str = PROJECT
) -> Iterator[tuple[str, list[int]]]:
    """A server of the replays on a free port: its URL and process tree, parents first
    (bin/serve, granian's main process and its workers; the others' main process and theirs),
    once at least 3 processes run."""
    with serving(
        lambda port: server_command(server, port),
        {**env, "WEB_CONCURRENCY": "2"},
        folder / "serve.log",
        ready_path=FILLER[server],
        processes=3,  # the parent and both workers
        log_output=False,
    ) as started:
        yield started.base, process_tree(started.process.pid)


def warm_workers(base: str, bearer: str) -> None:
    """Deletes of memories that do not exist, from 8 connections at once, until every worker
    has imported what a delete needs and connected to the database: a cold worker spends
    its first seconds importing, which no server in service does."""

    def delete(n: int) -> None:
        response = requests.delete(
            f"{base}/memories/warm-up-{n}",
            headers={"Authorization": f"Bearer {bearer}"},
            timeout=60,
        )
        assert response.status_code in (204, 404), response.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(delete, range(64)))


def markers(prefix: Path, threads: int, name: str) -> bool:
    return all(Path(f"{prefix}-{index}.{name}").exists() for index in range(threads))


def run_wrk(
    base: str, plan: list[str], connections: int, folder: Path, filler: str = FILLER[PROJECT]
) -> dict:  # type: ignore[type-arg]
    """Replay plan once with wrk; ended as soon as every thread has all its answers."""
    threads = 2
    prefix = folder / "plan"
    for index in range(threads):
        for marker in ("done", "sent"):
            Path(f"{prefix}-{index}.{marker}").unlink(missing_ok=True)
        Path(f"{prefix}-{index}.txt").write_text("\n".join(plan[index::threads]) + "\n")
    script = ROOT / "bench" / "delete.lua"
    command = ["wrk", f"-t{threads}", f"-c{connections}", "-d600s", "--timeout", "10s"]
    wrk = subprocess.Popen(
        [*command, "-s", str(script), base, "--", str(prefix), filler],
        stdout=subprocess.PIPE,
        text=True,
    )
    all_sent_at = None
    while wrk.poll() is None:
        if all_sent_at is None and markers(prefix, threads, "sent"):
            all_sent_at = time.monotonic()
        lost = all_sent_at is not None and time.monotonic() - all_sent_at > 12  # > --timeout
        if markers(prefix, threads, "done") or lost:
            wrk.send_signal(signal.SIGINT)  # wrk then joins its threads and reports
            break
        time.sleep(0.02)
    output = wrk.communicate(timeout=60)[0]
    statuses: dict[int | str, int | str] = {
        int(k): int(v)
        for k, v in re.findall(r"(\d+)=(\d+)", output.split("STATUS", 1)[1].split("\n")[0])
    }
    latency = dict(re.findall(r"(p\d+)=([\d.]+)", output))
    duration = float(re.search(r"duration_s=([\d.]+)", output).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Socket errors: (.*)", output)
    if errors:
        statuses["socket errors"] = errors.group(1)
    return {
        "statuses": statuses,
        "requests_per_s": sum(v for v in statuses.values() if isinstance(v, int)) / duration,
        **{name: float(value) for name, value in latency.items()},
    }


def measure_http(
    backend: str,
    run: int,
    args: argparse.Namespace,
    folder: Path,
    interpreters: dict[str, str],
) -> list[dict]:  # type: ignore[type-arg]
    """One run on backend; interpreters: the project served again by each of them (label:
    python), every replay right after (every other run, right before) the project's own."""
    database = Database(backend, folder)
    key = secrets.token_urlsafe(48)
    env = project_env(database, key, folder)
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        users = [f"user{n}" for n in range(args.users)]
        tokens = {user: token(key, user) for user in users}
        admin = token(key, "operator", admin=True)
        servers = [PROJECT, *interpreters]
        if run % 2:  # neither interpreter always replays first
            servers.reverse()
        if backend == "postgres" and not args.no_peer:
            peer.create_table(database.sqlalchemy_url)
            servers.append(PEER)
        if backend == "postgres" and not args.no_gunicorn:
            servers.append(GUNICORN)
        if backend == "postgres" and not args.no_floor:
            servers.append(FLOOR)
        env = {**env, "PEER_DATABASE_URL": database.sqlalchemy_url, "PEER_JWT_KEY": key}
        results = []
        for kind, connections in SCENARIOS:
            # The servers one after the other on the same rows: ratios within a run compare
            # what the same minutes of this machine allowed.
            for server in servers:
                if server in (GUNICORN, FLOOR) and kind != "owner":
                    continue
                # Another interpreter serves the project as bin/serve does (AGENTOS_PYTHON).
                program, server_env = server, env
                if server in interpreters:
                    program, server_env = PROJECT, {**env, "AGENTOS_PYTHON": interpreters[server]}
                table = PEER_TABLE if server == PEER else TABLE
                database.clear()
                owners = {f"m{n:07}": users[n % len(users)] for n in range(args.memories)}
                spared = {f"s{n:07}": users[n % len(users)] for n in range(args.memories // 10)}
                database.seed({**owners, **spared}, table)
                plan = [
                    f"DELETE /memories/{memory_id} {tokens[user]}"
                    if kind == "owner"
                    else f"DELETE /memories/{memory_id}?user_id={user} {admin}"
                    for memory_id, user in owners.items()
                ]
                with served(server_env, folder, program) as (base, pids):
                    warm_workers(base, tokens[users[0]])
                    pids = process_tree(pids[0])  # the workers, now that they all serve
                    # The database server's processes serving this server's connections
                    # (PostgreSQL), and wrk: the rest of the machine's work per delete.
                    backends = database.backend_pids()
                    before = cpu_seconds(pids), cpu_seconds(backends), children_cpu_seconds()
                    result = run_wrk(base, plan, connections, folder, FILLER[program])
                    after = cpu_seconds(pids), cpu_seconds(backends), children_cpu_seconds()
                    used = [1000 * (a - b) / len(plan) for a, b in zip(after, before, strict=True)]
                    result["cpu_ms_per_request"] = used[0]
                    if backends:
                        result["db_cpu_ms_per_request"] = used[1]
                    result["client_cpu_ms_per_request"] = used[2]
                    result["peak_worker_mib"] = peak_memory_mib(pids[1:])
                left = database.memory_ids(table)
                result["verified"] = left == set(spared) and result["statuses"] == {204: len(plan)}
                prefix = "" if server == PROJECT else f"{server} "
                result.update(backend=backend, scenario=f"{prefix}{kind} c{connections}")
                results.append(result)
        results.append(physical_reference(database, args.memories))
        results.extend(bulk_erasure(database, env, args, folder))
        for result in results:
            result["run"] = run
        return results
    finally:
        database.drop()


def physical_reference(database: Database, count: int) -> dict:  # type: ignore[type-arg]
    database.clear()
    ids = [f"p{n:07}" for n in range(count)]
    database.seed(dict.fromkeys(ids, "user0"))
    sql = "DELETE FROM agno_memories WHERE memory_id = %s"
    with database.connect() as connection:
        start = time.perf_counter()
        for memory_id in ids:
            if database.backend == "postgres":
                connection.execute(sql, [memory_id])
            else:
                connection.execute(sql.replace("%s", "?"), [memory_id])
        elapsed = time.perf_counter() - start
    return {"backend": database.backend, "scenario": "physical", "requests_per_s": count / elapsed}


def timed(action: Callable[[], object]) -> float:
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


def warm_up(base: str, headers: dict[str, str]) -> None:
    """Concurrent reads, so that every worker has connected and loaded its views, as in a
    server that has been up for a while (the raw reference's connection is open too)."""

    def read(_: int) -> None:
        response = requests.get(f"{base}/memories?limit=1", headers=headers, timeout=60)
        assert response.status_code == 200, response.text

    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(read, range(32)))


def bulk_erasure(
    database: Database, env: dict[str, str], args: argparse.Namespace, folder: Path
) -> list[dict]:  # type: ignore[type-arg]
    ids = [f"b{n:07}" for n in range(args.erase)]
    others = {f"o{n:07}": "someone" for n in range(args.erase // 10)}

    def reseed() -> None:
        database.clear()
        database.seed({**dict.fromkeys(ids, "erased"), **others})

    reseed()
    # Timed from an open connection, as the raw statements are: connecting is no erasure's.
    script = (
        "import time; from django.core.management import call_command; "
        "from django.db import connection; connection.ensure_connection(); "
        "t = time.perf_counter(); "
        "call_command('erase_user_memories', 'erased', '--yes', verbosity=0, "
        "stdout=open('/dev/null', 'w')); "
        "import resource; "
        "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
    )
    seconds, peak_kib = manage(env, "shell", "-c", script).strip().splitlines()[-1].split()
    command_s, command_mib = float(seconds), int(peak_kib) / 1024
    command_ok = database.memory_ids() == set(others)

    reseed()
    key = env["AGENTOS_JWT_SIGNING_KEY"]
    headers = {"Authorization": f"Bearer {token(key, 'erased')}"}
    batches = id_batches(ids)
    with served(env, folder) as (base, pids):
        warm_up(base, headers)
        api_s = timed(lambda: bulk_api_deletes(base, batches, headers))
        api_mib = peak_memory_mib(process_tree(pids[0])[1:])  # every worker, now all serve
    api_ok = database.memory_ids() == set(others)

    # The same requests from two clients at once, one per worker: the wait of one request
    # on the database overlaps the other's Python work.
    reseed()
    with served(env, folder) as (base, pids):

        def client(share: list[list[str]]) -> None:
            with requests.Session() as http:
                for batch in share:
                    response = http.delete(
                        f"{base}/memories", json={"memory_ids": batch}, headers=headers, timeout=60
                    )
                    assert response.status_code == 204, response.text

        warm_up(base, headers)
        with ThreadPoolExecutor(max_workers=2) as pool:
            parallel_s = timed(lambda: list(pool.map(client, [batches[0::2], batches[1::2]])))
    parallel_ok = database.memory_ids() == set(others)

    reseed()
    with database.connect() as connection:
        placeholder = "%s" if database.backend == "postgres" else "?"
        raw_s = timed(
            lambda: connection.execute(
                f"DELETE FROM agno_memories WHERE user_id = {placeholder}", ["erased"]
            )
        )

    # The erasure's floor: one statement (on SQLite, one transaction) that deletes the rows and
    # writes one audit record listing every id, as the records of the erase command do.
    reseed()
    with database.connect() as connection:
        recorded_s = timed(lambda: delete_and_record(database, connection, "erased"))
    recorded_ok = database.memory_ids() == set(others)

    # The same, between the two counts a complete erasure needs: the one it shows (and bounds
    # its first round with) and the final one that finds nothing left.
    reseed()
    with database.connect() as connection:
        placeholder = "%s" if database.backend == "postgres" else "?"
        count = f"SELECT count(*) FROM agno_memories WHERE user_id = {placeholder}"

        def counted_erasure() -> None:
            connection.execute(count, ["erased"]).fetchone()
            delete_and_record(database, connection, "erased")
            assert connection.execute(count, ["erased"]).fetchone()[0] == 0

        counted_s = timed(counted_erasure)
    counted_ok = database.memory_ids() == set(others)

    # The bulk API's own floor: the same batches of ids deleted by plain statements, with no
    # owner test, audit, HTTP or Python in between.
    reseed()
    with database.connect() as connection:
        raw_ids_s = timed(lambda: raw_id_deletes(database.backend, connection, batches))
    raw_ids_ok = database.memory_ids() == set(others)
    return [
        {"backend": database.backend, "scenario": "erase raw", "seconds": raw_s, "verified": True},
        {
            "backend": database.backend,
            "scenario": "erase raw, recorded",
            "seconds": recorded_s,
            "verified": recorded_ok,
        },
        {
            "backend": database.backend,
            "scenario": "erase raw, recorded, counted before and after",
            "seconds": counted_s,
            "verified": counted_ok,
        },
        {
            "backend": database.backend,
            "scenario": "erase raw, 1000 ids per statement",
            "seconds": raw_ids_s,
            "verified": raw_ids_ok,
        },
        {
            "backend": database.backend,
            "scenario": "erase command",
            "seconds": command_s,
            "peak_worker_mib": command_mib,
            "verified": command_ok,
        },
        {
            "backend": database.backend,
            "scenario": "erase bulk API",
            "seconds": api_s,
            "peak_worker_mib": api_mib,
            "verified": api_ok,
        },
        {
            "backend": database.backend,
            "scenario": "erase bulk API, 2 clients",
            "seconds": parallel_s,
            "verified": parallel_ok,
        },
    ]


RECORD_COLUMNS = "deleted_at, actor, channel, db_id, table_name, memory_ids, user_ids, count"


def delete_and_record(database: Database, connection: Any, user_id: str) -> None:
    """Every memory of user_id deleted, and one audit record of them all written."""
    if database.backend == "postgres":
        connection.execute(
            "WITH gone AS (DELETE FROM agno_memories WHERE user_id = %s RETURNING memory_id)"
            f" INSERT INTO memories_memorydeletion ({RECORD_COLUMNS})"
            " SELECT now(), 'bench', 'command', 'default', 'agno_memories',"
            " to_jsonb(array_agg(memory_id)), jsonb_build_array(%s::text), count(*) FROM gone",
            [user_id, user_id],
        )
        return
    # SQLite has no DELETE inside a WITH: the record first, in the deleting transaction.
    connection.execute("BEGIN IMMEDIATE")
    connection.execute(
        f"INSERT INTO memories_memorydeletion ({RECORD_COLUMNS})"
        " SELECT datetime('now'), 'bench', 'command', 'default', 'agno_memories',"
        " json_group_array(memory_id), json_array(?), count(*) FROM agno_memories"
        " WHERE user_id = ?",
        [user_id, user_id],
    )
    connection.execute("DELETE FROM agno_memories WHERE user_id = ?", [user_id])
    connection.execute("COMMIT")


def summarize(runs: list[dict]) -> dict[tuple[str, str], dict]:  # type: ignore[type-arg]
    grouped: dict[tuple[str, str], list[dict]] = {}  # type: ignore[type-arg]
    for result in runs:
        grouped.setdefault((result["backend"], result["scenario"]), []).append(result)
    summary = {}
    for key, results in grouped.items():
        row: dict = {"verified": all(r.get("verified", True) for r in results)}  # type: ignore[type-arg]
        for metric in (
            "requests_per_s",
            "p50",
            "p90",
            "p99",
            "cpu_ms_per_request",
            "db_cpu_ms_per_request",
            "client_cpu_ms_per_request",
            "peak_worker_mib",
            "seconds",
        ):
            values = [r[metric] for r in results if metric in r]
            if values:
                row[metric] = (statistics.median(values), min(values), max(values))
        row["statuses"] = results[-1].get("statuses")
        summary[key] = row
    return summary


def cell(row: dict, metric: str, digits: int = 1) -> str:  # type: ignore[type-arg]
    if metric not in row:
        return ""
    median, low, high = row[metric]
    return f"{median:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def report(summary: dict, runs: list[dict]) -> str:  # type: ignore[type-arg]
    lines = [
        "| backend | scenario | req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req"
        " | database CPU ms/req | wrk CPU ms/req | peak worker MiB | statuses | rows verified |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (backend, scenario), row in summary.items():
        if scenario.startswith("erase"):
            continue
        lines.append(
            f"| {backend} | {scenario} | {cell(row, 'requests_per_s', 0)} | {cell(row, 'p50')} | "
            f"{cell(row, 'p90')} | {cell(row, 'p99')} | {cell(row, 'cpu_ms_per_request', 2)} | "
            f"{cell(row, 'db_cpu_ms_per_request', 2)} | "
            f"{cell(row, 'client_cpu_ms_per_request', 2)} | "
            f"{cell(row, 'peak_worker_mib')} | {statuses(row)} | {row['verified']} |"
        )
    lines += [
        "",
        "| backend | erasure of one user | seconds | x raw | peak MiB (process or worker) "
        "| rows verified |",
        "|---|---|---|---|---|---|",
    ]
    for (backend, scenario), row in summary.items():
        if not scenario.startswith("erase"):
            continue
        over_raw = ratio(runs, backend, scenario, "erase raw", "seconds")
        lines.append(
            f"| {backend} | {scenario} | {cell(row, 'seconds', 3)} "
            f"| {span(over_raw)} | {cell(row, 'peak_worker_mib')} "
            f"| {row['verified']} |"
        )
    lines.append("")
    for backend in dict.fromkeys(b for b, _ in summary):
        lines += interpreter_ratios(runs, backend)
        over_physical = ratio(runs, backend, "owner c16", "physical", "requests_per_s")
        lines.append(
            f"- {backend}: HTTP deletes/s over physical single-row deletes/s (owner, c16): "
            f"{span(over_physical)}"
        )
    if ("postgres", "physical") in summary:
        lines += ["", *targets(runs)]
    return "\n".join(lines)


def interpreter_ratios(runs: list[dict], backend: str) -> list[str]:  # type: ignore[type-arg]
    """The project served by each other interpreter (--python) over the project as this
    interpreter serves it, per replay, within each run."""
    lines = []
    own = f"Python {platform.python_version()}"
    for scenario in dict.fromkeys(r["scenario"] for r in runs if r["backend"] == backend):
        if not scenario.startswith("Python "):
            continue
        label, replay = scenario.rsplit(" ", 2)[0], scenario.split(" ", 2)[2]
        figures = [
            f"{what} {span(ratio(runs, backend, scenario, replay, metric))}"
            for what, metric in (
                ("deletes/s", "requests_per_s"),
                ("server CPU per delete", "cpu_ms_per_request"),
                ("p99", "p99"),
            )
        ]
        lines.append(f"- {backend}: {label} / {own}, {replay}: {', '.join(figures)}")
    return lines


def each_run(runs: list[dict], backend: str) -> Iterator[dict[str, dict]]:  # type: ignore[type-arg]
    """Per run, the backend's results by scenario."""
    for run in dict.fromkeys(result["run"] for result in runs):
        yield {
            result["scenario"]: result
            for result in runs
            if result["run"] == run and result["backend"] == backend
        }


def statuses(row: dict) -> str:  # type: ignore[type-arg]
    return ", ".join(f"{status}: {count}" for status, count in (row["statuses"] or {}).items())


def ratio(
    runs: list[dict],  # type: ignore[type-arg]
    backend: str,
    scenario: str,
    reference: str,
    metric: str,
) -> tuple[float, float, float] | None:
    """metric of scenario over metric of reference, within each run: median, min, max."""
    values = []
    for found in each_run(runs, backend):
        if metric in found.get(scenario, {}) and metric in found.get(reference, {}):
            values.append(found[scenario][metric] / found[reference][metric])
    if not values:
        return None
    return statistics.median(values), min(values), max(values)


def span(value: tuple[float, float, float] | None, digits: int = 2) -> str:
    if value is None:
        return "not measured"
    median, low, high = value
    return f"{median:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


# (what, scenario, reference, metric, goal, at least the goal (or at most))
TARGETS = [
    ("deletes/s, owner c16", "owner c16", "peer owner c16", "requests_per_s", 2.5, True),
    ("deletes/s, owner c64", "owner c64", "peer owner c64", "requests_per_s", 2.5, True),
    (
        "server CPU per delete, owner c16",
        "owner c16",
        "peer owner c16",
        "cpu_ms_per_request",
        0.3,
        False,
    ),
    (
        "server CPU per delete, owner c64",
        "owner c64",
        "peer owner c64",
        "cpu_ms_per_request",
        0.3,
        False,
    ),
    ("p99 latency, owner c64", "owner c64", "peer owner c64", "p99", 0.6, False),
    ("HTTP deletes/s, owner c16", "owner c16", "physical", "requests_per_s", 0.45, True),
    (
        "erase command, 100k rows of one user",
        "erase command",
        "erase raw, recorded",
        "seconds",
        1.5,
        False,
    ),
    (
        "bulk API, 1000-id requests, one client",
        "erase bulk API",
        "erase raw, 1000 ids per statement",
        "seconds",
        1.5,
        False,
    ),
]
# For comparison, not targets: the admin replay against the peer's, the two servers, and the
# framework's floor against the peer, the project and the physical deletes.
COMPARISONS = [
    ("deletes/s, admin c16", "admin c16", "peer admin c16", "requests_per_s"),
    ("server CPU per delete, admin c16", "admin c16", "peer admin c16", "cpu_ms_per_request"),
    ("p99 latency, owner c16", "owner c16", "peer owner c16", "p99"),
    (
        "granian / gunicorn: deletes/s, owner c16",
        "owner c16",
        "gunicorn owner c16",
        "requests_per_s",
    ),
    (
        "granian / gunicorn: deletes/s, owner c64",
        "owner c64",
        "gunicorn owner c64",
        "requests_per_s",
    ),
    (
        "granian / gunicorn: server CPU per delete, owner c16",
        "owner c16",
        "gunicorn owner c16",
        "cpu_ms_per_request",
    ),
    (
        "granian / gunicorn: server CPU per delete, owner c64",
        "owner c64",
        "gunicorn owner c64",
        "cpu_ms_per_request",
    ),
    ("granian / gunicorn: p99 latency, owner c64", "owner c64", "gunicorn owner c64", "p99"),
    (
        "bulk API from 2 clients at once / raw 1000-id statements",
        "erase bulk API, 2 clients",
        "erase raw, 1000 ids per statement",
        "seconds",
    ),
    (
        "erase command / the recording statement between the two counts",
        "erase command",
        "erase raw, recorded, counted before and after",
        "seconds",
    ),
    ("erase command / raw DELETE", "erase command", "erase raw", "seconds"),
    (
        "the framework's floor: server CPU per delete over the peer's, owner c16",
        "framework floor owner c16",
        "peer owner c16",
        "cpu_ms_per_request",
    ),
    (
        "the framework's floor: server CPU per delete over the peer's, owner c64",
        "framework floor owner c64",
        "peer owner c64",
        "cpu_ms_per_request",
    ),
    (
        "the project / the framework's floor: server CPU per delete, owner c16",
        "owner c16",
        "framework floor owner c16",
        "cpu_ms_per_request",
    ),
    (
        "the project / the framework's floor: server CPU per delete, owner c64",
        "owner c64",
        "framework floor owner c64",
        "cpu_ms_per_request",
    ),
    (
        "the framework's floor: HTTP deletes/s over physical single-row deletes/s, owner c16",
        "framework floor owner c16",
        "physical",
        "requests_per_s",
    ),
    ("one recording statement / raw DELETE", "erase raw, recorded", "erase raw", "seconds"),
]


def targets(runs: list[dict]) -> list[str]:  # type: ignore[type-arg]
    """The targets (PostgreSQL), each the median (min-max) of its ratio within each run."""
    lines = [
        "Targets (PostgreSQL; each the median, min-max, of the ratio measured within each run):",
        "",
        "| what | measured against | target | ratio | met |",
        "|---|---|---|---|---|",
    ]
    for what, scenario, reference, metric, goal, at_least in TARGETS:
        value = ratio(runs, "postgres", scenario, reference, metric)
        met = value is not None and (value[0] >= goal if at_least else value[0] <= goal)
        sign = ">=" if at_least else "<="
        verdict = "met" if met else "NOT met"
        lines.append(f"| {what} | {reference} | {sign} {goal} | {span(value)} | {verdict} |")
    lines += ["", "For comparison (PostgreSQL, ratios within each run):", ""]
    for what, scenario, reference, metric in COMPARISONS:
        lines.append(f"- {what}: {span(ratio(runs, 'postgres', scenario, reference, metric))}")
    lines += ["", *cpu_budget(runs)]
    return lines


MACHINE_CPU = ("cpu_ms_per_request", "db_cpu_ms_per_request", "client_cpu_ms_per_request")


def cpu_budget(runs: list[dict]) -> list[str]:  # type: ignore[type-arg]
    """What 2.5 x the peer's deletes/s leaves the project's server, per owner replay.

    Server, database backends and wrk share the machine's cores: on a machine that both
    replays keep as busy, deletes/s go as the inverse of the CPU all three spend per delete.
    """
    lines = []
    for connections in (16, 64):
        allowed, measured = [], []
        for found in each_run(runs, "postgres"):
            ours = found.get(f"owner c{connections}")
            peer = found.get(f"peer owner c{connections}")
            if not ours or not peer or not all(m in r for m in MACHINE_CPU for r in (ours, peer)):
                continue
            rest = ours["db_cpu_ms_per_request"] + ours["client_cpu_ms_per_request"]
            allowed.append(sum(peer[m] for m in MACHINE_CPU) / 2.5 - rest)
            measured.append(ours["cpu_ms_per_request"])
        if allowed:
            lines.append(
                f"- owner c{connections}: 2.5 x the peer's deletes/s leaves the project's server "
                f"{span((statistics.median(allowed), min(allowed), max(allowed)))} ms of CPU "
                f"per delete (the peer's server, database and wrk CPU per delete / 2.5, less "
                f"the project's database and wrk CPU); it spends "
                f"{span((statistics.median(measured), min(measured), max(measured)))} ms"
            )
    ceilings = []
    for found in each_run(runs, "postgres"):
        ours, physical = found.get("owner c16"), found.get("physical")
        if ours and physical and all(m in ours for m in MACHINE_CPU):
            deletes_per_s = 1000 * CORES / sum(ours[m] for m in MACHINE_CPU)
            ceilings.append(deletes_per_s / physical["requests_per_s"])
    if ceilings:
        lines.append(
            f"- owner c16: with all {CORES} cores busy at the project's server, database and "
            "wrk CPU per delete, the machine could serve "
            f"{span((statistics.median(ceilings), min(ceilings), max(ceilings)))} x the "
            "physical single-row deletes/s"
        )
    return lines


def diagnosis(script: str, *options: str) -> str:
    """What a profiling script printed, or how it failed: a failure costs the report that
    one section, not the table measured before it."""
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *options],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if result.returncode == 0:
        return result.stdout.strip()
    print(result.stderr, file=sys.stderr)
    error = "\n".join(result.stderr.strip().splitlines()[-5:])
    return f"{script} failed (exit status {result.returncode}):\n{error}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=20000, help="Deletes per scenario.")
    parser.add_argument("--users", type=int, default=50, help="Owners of the memories.")
    parser.add_argument("--erase", type=int, default=100000, help="Memories of the erased user.")
    parser.add_argument("--runs", type=int, default=3, help="Runs of each backend, interleaved.")
    parser.add_argument("--backends", default="postgres,sqlite", help="Comma-separated.")
    parser.add_argument("--no-peer", action="store_true", help="Skip Agno's AgentOS.")
    parser.add_argument("--no-gunicorn", action="store_true", help="Skip gunicorn's replays.")
    parser.add_argument(
        "--no-floor", action="store_true", help="Skip the framework floor's replays."
    )
    parser.add_argument("--no-diagnosis", action="store_true", help="Skip profile and sample.")
    parser.add_argument(
        "--python",
        action="append",
        default=[],
        help="Also serve the project with this interpreter (a virtualenv's python holding the "
        "same lock), in turn with this one's; may be repeated.",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument(
        "--results",
        type=Path,
        default=ROOT / ".bench-results.json",
        help="Where the measurements are kept, to write the report again with --render.",
    )
    parser.add_argument(
        "--render",
        action="store_true",
        help="Measure nothing: write the report from the kept measurements (after editing "
        "bench/BENCHMARKS.head.md).",
    )
    args = parser.parse_args()
    if args.render:
        kept = json.loads(args.results.read_text())
    else:
        kept = measure(args)
        args.results.write_text(json.dumps(kept, indent=1))
    table = report(summarize(kept["runs"]), kept["runs"])
    print(table)
    if "profile" not in kept:
        return
    header = (ROOT / "bench" / "BENCHMARKS.head.md").read_text()
    details = {key: value for key, value in kept.items() if key != "runs"}
    # bench/paths.py's section, measured apart, is kept as it is.
    kept_paths = kept_section(args.output.read_text()) if args.output.exists() else ""
    args.output.write_text(header.format(table=table, **details).rstrip("\n") + kept_paths + "\n")


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Every run, then (unless --no-diagnosis) the profile and the samples."""
    runs: list[dict] = []  # type: ignore[type-arg]
    interpreters = {interpreter_label(python): python for python in args.python}
    for run in range(args.runs):
        for backend in args.backends.split(","):
            with tempfile.TemporaryDirectory() as folder:
                print(f"run {run + 1}/{args.runs}: {backend}", file=sys.stderr)
                runs.extend(measure_http(backend, run, args, Path(folder), interpreters))
    for result in runs:  # as JSON will keep them
        if "statuses" in result:
            result["statuses"] = {str(k): v for k, v in result["statuses"].items()}
    kept: dict[str, Any] = {"runs": runs}
    if args.no_diagnosis:
        return kept
    print("profiling one worker in-process, then sampling a served one", file=sys.stderr)
    ignored = ("output", "results", "render")
    return {
        **kept,
        "profile": diagnosis("profile.py", "--requests", "4000").strip(),
        "samples": diagnosis("sample.py").strip(),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, "
        f"Python {platform.python_version()}",
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "parameters": json.dumps({k: str(v) for k, v in vars(args).items() if k not in ignored}),
    }


if __name__ == "__main__":
    main()
