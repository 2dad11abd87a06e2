"""Delete benchmark: the production server under wrk, against the database's own cost.

Run with `make bench`. For PostgreSQL and SQLite, interleaved, --runs times each:
- seeds memories directly in the database, serves the project with gunicorn (2 workers, the
  settings `make run` uses: JWT, ownership and audit on), replays DELETE /memories/{id} with
  wrk (each id once) at concurrency 16 and 64 with owner tokens, and at 16 with an admin token
  plus ?user_id=; reports requests/s, latency percentiles, status counts, the server's CPU
  time per request and its workers' peak memory, then checks exactly the targeted rows are gone;
- issues the same number of single-row DELETE statements from one process (autocommit);
- erases one user's memories through the erase command, through bulk DELETE /memories in
  batches of 1000 ids (from one client, then from two at once), with one raw
  DELETE ... WHERE user_id, and with plain DELETEs of the same batches of 1000 ids.
Writes the medians (min-max) to BENCHMARKS.md.
"""

import argparse
import contextlib
import json
import os
import platform
import re
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import jwt
import psycopg
import requests

ROOT = Path(__file__).resolve().parent.parent
PG = "postgres://postgres@127.0.0.1:5432"
TICKS = os.sysconf("SC_CLK_TCK")
SCENARIOS = [("owner", 16), ("owner", 64), ("admin", 16)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def token(key: str, subject: str, admin: bool = False) -> str:
    now = int(time.time())
    claims = {"sub": subject, "iat": now, "exp": now + 7200}
    if admin:
        claims["scopes"] = ["agent_os:admin"]
    return jwt.encode(claims, key, algorithm="HS256")


class Database:
    """A fresh PostgreSQL database or SQLite file, with raw access for seeding and checks."""

    def __init__(self, backend: str, folder: Path) -> None:
        self.backend = backend
        if backend == "postgres":
            self.name = f"agentos_bench_{os.getpid()}"
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

    def seed(self, owners: dict[str, str]) -> None:
        self.execute_many(
            "INSERT INTO agno_memories (memory_id, memory, user_id, created_at, updated_at)"
            " VALUES (%s, '\"benchmark\"', %s, 1, 1)",
            list(owners.items()),
        )
        with self.connect() as connection:
            # Statistics, as autovacuum keeps them for a table in service: a table loaded a
            # moment ago has none, and gets plans that no table in service gets.
            connection.execute("ANALYZE agno_memories")

    def memory_ids(self) -> set[str]:
        with self.connect() as connection:
            return {row[0] for row in connection.execute("SELECT memory_id FROM agno_memories")}

    def clear(self) -> None:
        # Emptied, not left full of deleted rows: each scenario starts from the same table.
        # (SQLite's DELETE without WHERE empties the table the same way.)
        with self.connect() as connection:
            if self.backend == "postgres":
                connection.execute("TRUNCATE agno_memories, memories_memorydeletion")
            else:
                connection.execute("DELETE FROM agno_memories")
                connection.execute("DELETE FROM memories_memorydeletion")

    def drop(self) -> None:
        if self.backend == "postgres":
            with psycopg.connect(f"{PG}/postgres", autocommit=True) as connection:
                connection.execute(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)')


def project_env(database: Database, key: str, folder: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "AGENTOS_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="agentos.settings",
        DATABASE_URL=database.url,
        AGENTOS_JWT_SIGNING_KEY=key,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        AGENTOS_DEV_SECRETS="off",
        DJANGO_STATIC_ROOT=str(folder / "static"),
    )
    return env


def manage(env: dict[str, str], *args: str) -> str:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout


def process_tree(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children").read_text().split()
    return [pid] + [tree for child in children for tree in process_tree(int(child))]


def cpu_seconds(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        with contextlib.suppress(FileNotFoundError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime
    return total / TICKS


def peak_memory_mib(workers: list[int]) -> float:
    peaks = []
    for pid in workers:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            raise RuntimeError(f"gunicorn worker {pid} exited during the run") from None
        peaks.append(int(re.search(r"VmHWM:\s+(\d+)", status).group(1)) / 1024)  # type: ignore[union-attr]
    return max(peaks)


@contextlib.contextmanager
def served(env: dict[str, str], folder: Path) -> Iterator[tuple[str, list[int]]]:
    """The project served by `bin/serve` (what `make run` runs): its URL and process tree."""
    port = free_port()
    with (folder / "serve.log").open("a") as log:
        process = subprocess.Popen(
            [ROOT / "bin" / "serve"],
            cwd=ROOT,
            env={**env, "HOST": "127.0.0.1", "PORT": str(port), "WEB_CONCURRENCY": "2"},
            stdout=subprocess.DEVNULL,
            stderr=log,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            with contextlib.suppress(requests.RequestException):
                requests.get(f"{base}/", timeout=5)
                if len(process_tree(process.pid)) == 3:  # the arbiter and both workers
                    break
            if process.poll() is not None:
                raise RuntimeError(f"bin/serve exited; see {folder / 'serve.log'}")
            time.sleep(0.1)
        else:
            raise RuntimeError("gunicorn did not start both workers")
        yield base, process_tree(process.pid)
    finally:
        process.terminate()
        process.wait(timeout=20)


def markers(prefix: Path, threads: int, name: str) -> bool:
    return all(Path(f"{prefix}-{index}.{name}").exists() for index in range(threads))


def run_wrk(base: str, plan: list[str], connections: int, folder: Path) -> dict:  # type: ignore[type-arg]
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
        [*command, "-s", str(script), base, "--", str(prefix)],
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


def measure_http(backend: str, args: argparse.Namespace, folder: Path) -> list[dict]:  # type: ignore[type-arg]
    database = Database(backend, folder)
    key = secrets.token_urlsafe(48)
    env = project_env(database, key, folder)
    try:
        manage(env, "migrate", "--noinput")
        users = [f"user{n}" for n in range(args.users)]
        tokens = {user: token(key, user) for user in users}
        admin = token(key, "operator", admin=True)
        results = []
        for kind, connections in SCENARIOS:
            database.clear()
            owners = {f"m{n:07}": users[n % len(users)] for n in range(args.memories)}
            spared = {f"s{n:07}": users[n % len(users)] for n in range(args.memories // 10)}
            database.seed({**owners, **spared})
            plan = [
                f"DELETE /memories/{memory_id} {tokens[user]}"
                if kind == "owner"
                else f"DELETE /memories/{memory_id}?user_id={user} {admin}"
                for memory_id, user in owners.items()
            ]
            with served(env, folder) as (base, pids):
                before = cpu_seconds(pids)
                result = run_wrk(base, plan, connections, folder)
                result["cpu_ms_per_request"] = 1000 * (cpu_seconds(pids) - before) / len(plan)
                result["peak_worker_mib"] = peak_memory_mib(pids[1:])
            left = database.memory_ids()
            result["verified"] = left == set(spared) and result["statuses"] == {204: len(plan)}
            result.update(backend=backend, scenario=f"{kind} c{connections}")
            results.append(result)
        results.append(physical_reference(database, args.memories))
        results.extend(bulk_erasure(database, env, args, folder))
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
    script = (
        "import time; from django.core.management import call_command; t = time.perf_counter(); "
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
    with served(env, folder) as (base, pids), requests.Session() as http:

        def bulk_api() -> None:
            for start in range(0, len(ids), 1000):
                body = {"memory_ids": ids[start : start + 1000]}
                response = http.delete(f"{base}/memories", json=body, headers=headers, timeout=60)
                assert response.status_code == 204, response.text

        warm_up(base, headers)
        api_s = timed(bulk_api)
        api_mib = peak_memory_mib(pids[1:])
    api_ok = database.memory_ids() == set(others)

    # The same requests from two clients at once, one per worker: the wait of one request
    # on the database overlaps the other's Python work.
    reseed()
    batches = [ids[start : start + 1000] for start in range(0, len(ids), 1000)]
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

    # The bulk API's own floor: the same batches of ids deleted by plain statements, with no
    # owner test, audit, HTTP or Python in between.
    reseed()
    with database.connect() as connection:

        def raw_by_ids() -> None:
            for batch in batches:
                if database.backend == "postgres":
                    connection.execute(
                        "DELETE FROM agno_memories WHERE memory_id = ANY(%s)", [batch]
                    )
                else:
                    marks = ", ".join("?" * len(batch))
                    connection.execute(
                        f"DELETE FROM agno_memories WHERE memory_id IN ({marks})", batch
                    )

        raw_ids_s = timed(raw_by_ids)
    raw_ids_ok = database.memory_ids() == set(others)
    return [
        {"backend": database.backend, "scenario": "erase raw", "seconds": raw_s, "verified": True},
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


def report(summary: dict, args: argparse.Namespace) -> str:  # type: ignore[type-arg]
    lines = [
        "| backend | scenario | req/s | p50 ms | p90 ms | p99 ms | server CPU ms/req"
        " | peak worker MiB | statuses | rows verified |",
        "|---|---|---|---|---|---|---|---|---|---|",
    ]
    for (backend, scenario), row in summary.items():
        if scenario.startswith("erase"):
            continue
        lines.append(
            f"| {backend} | {scenario} | {cell(row, 'requests_per_s', 0)} | {cell(row, 'p50')} | "
            f"{cell(row, 'p90')} | {cell(row, 'p99')} | {cell(row, 'cpu_ms_per_request', 2)} | "
            f"{cell(row, 'peak_worker_mib')} | {row['statuses'] or ''} | {row['verified']} |"
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
        raw = summary[(backend, "erase raw")]["seconds"][0]
        lines.append(
            f"| {backend} | {scenario} | {cell(row, 'seconds', 3)} "
            f"| {row['seconds'][0] / raw:.1f} | {cell(row, 'peak_worker_mib')} "
            f"| {row['verified']} |"
        )
    lines.append("")
    for backend in dict.fromkeys(b for b, _ in summary):
        physical = summary[(backend, "physical")]["requests_per_s"][0]
        http = summary[(backend, "owner c16")]["requests_per_s"][0]
        lines.append(
            f"- {backend}: HTTP deletes/s over physical single-row deletes/s (owner, c16): "
            f"{http / physical:.2f}"
        )
    if ("postgres", "physical") in summary:
        lines += ["", "Targets (PostgreSQL, medians):", *targets(summary)]
    return "\n".join(lines)


def targets(summary: dict) -> list[str]:  # type: ignore[type-arg]
    def median(scenario: str, metric: str) -> float:
        return float(summary[("postgres", scenario)][metric][0])

    raw = median("erase raw", "seconds")
    checks = [
        (
            "server CPU per delete (owner, c16) <= 1.0 ms",
            median("owner c16", "cpu_ms_per_request"),
            1.0,
        ),
        (
            "HTTP / physical deletes/s (owner, c16) >= 0.35",
            -median("owner c16", "requests_per_s") / median("physical", "requests_per_s"),
            -0.35,
        ),
        ("p99 latency (owner, c64) < 150 ms", median("owner c64", "p99"), 150),
        ("erase command <= 2 x raw", median("erase command", "seconds") / raw, 2),
        ("bulk API erase <= 10 x raw", median("erase bulk API", "seconds") / raw, 10),
    ]
    parallel = median("erase bulk API, 2 clients", "seconds") / raw
    by_ids = median("erase raw, 1000 ids per statement", "seconds")
    bulk_over_ids = median("erase bulk API", "seconds") / by_ids
    return [
        *(
            f"- {name}: {abs(value):.2f} -> {'met' if value <= limit else 'NOT met'}"
            for name, value, limit in checks
        ),
        f"- (for comparison) bulk API erase from 2 clients at once: {parallel:.2f} x raw",
        f"- (for comparison) raw DELETEs of the same 1000-id batches: {by_ids / raw:.2f} x raw;"
        f" the bulk API takes {bulk_over_ids:.2f} x their time",
    ]


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
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    args = parser.parse_args()
    runs: list[dict] = []  # type: ignore[type-arg]
    for run in range(args.runs):
        for backend in args.backends.split(","):
            with tempfile.TemporaryDirectory() as folder:
                print(f"run {run + 1}/{args.runs}: {backend}", file=sys.stderr)
                runs.extend(measure_http(backend, args, Path(folder)))
    table = report(summarize(runs), args)
    print(table)
    print("profiling one worker in-process, then sampling a served one", file=sys.stderr)
    profile = diagnosis("profile.py", "--requests", "4000")
    samples = diagnosis("sample.py")
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    header = (ROOT / "bench" / "BENCHMARKS.head.md").read_text()
    args.output.write_text(
        header.format(
            machine=machine,
            date=time.strftime("%Y-%m-%d"),
            parameters=json.dumps({k: str(v) for k, v in vars(args).items() if k != "output"}),
            table=table,
            profile=profile.strip(),
            samples=samples.strip(),
        )
    )


if __name__ == "__main__":
    main()
