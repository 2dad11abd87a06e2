"""The paths added since the delete benchmark, each against its floor, on PostgreSQL.

Run with `make bench-paths`. In each of --rounds rounds, on a fresh database, each path and
its floor one right after the other (which goes first alternates by round):
- export: `GET /memory_export` of one user's memories (--export rows, and a fifth of them),
  served by `bin/serve` as `make run` serves it, read whole by one client, against
  `COPY (SELECT row_to_json(m) ... WHERE user_id = ...) TO STDOUT` of the same rows read by
  psycopg; the workers' resident memory is sampled during each export;
- deletion by filter: `POST /memory_deletions` of every memory of one agent (--rows), against
  one statement that deletes them and writes their audit record;
- retention: `apply_memory_retention` with one rule that --rows memories are past, against
  the same one statement with the rule's condition;
- PgBouncer: owner deletes at concurrency 16 with wrk (--deletes) against the project
  served through PgBouncer in transaction pooling (tests/poolers.py) and served directly:
  the target through a pool with a server connection per application thread, as a
  deployment sizes it, beside the tests' smaller pool, where requests queue for one;
- bulk API: one user's --rows memories (ids of Agno's shape, 36 characters) deleted by
  `DELETE /memories` of 1000 ids from one client, against plain 1000-id DELETE statements.
Every path is checked afterwards: the rows left, the audit records' counts, the export's
lines. Writes the medians (min-max) and the ratios within each round to BENCHMARKS.md.
"""

import argparse
import contextlib
import json
import os
import re
import secrets
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import http_floor  # noqa: E402
from bench.bulk import agno_shaped_id, bulk_api_deletes, id_batches, raw_id_deletes  # noqa: E402
from bench.run import (  # noqa: E402
    Database,
    manage,
    project_env,
    run_wrk,
    served,
    timed,
    token,
    warm_up,
    warm_workers,
)
from bench.sections import replace_section  # noqa: E402
from tests.poolers import POOL_SIZE, pgbouncer  # noqa: E402
from tests.servers import process_tree, serving  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
# Its own database names: the delete benchmark (agentos_bench_<pid>) may run meanwhile.
DATABASE_PREFIX = "agentos_bench_paths"
TABLE = "agno_memories"
# A year past: what the retention rule deletes is older than that.
NOW = int(time.time())
OLD = NOW - 400 * 24 * 60 * 60
# A pool with a server connection for each application thread (2 workers of 4).
LARGER_POOL = 8
RETENTION_RULE = [{"db_id": "default", "max_age_days": 365}]
RECORD_COLUMNS = "deleted_at, actor, channel, db_id, table_name, memory_ids, user_ids, count"


def seed(database: Database, rows: list[tuple[str, str, str, int]], *, clear: bool = True) -> None:
    """Memories as agents write them (a sentence, two topics, an agent), by COPY:
    (memory_id, user_id, agent_id, updated_at) each."""
    if clear:
        database.clear()
    with database.connect() as connection, connection.cursor() as cursor:
        columns = "memory_id, memory, input, user_id, agent_id, topics, created_at, updated_at"
        with cursor.copy(f"COPY {TABLE} ({columns}) FROM STDIN") as copy:
            for memory_id, user_id, agent_id, updated_at in rows:
                memory = json.dumps(f"Prefers green tea over coffee in the morning ({memory_id})")
                topics = json.dumps(["preferences", f"topic-{len(memory_id) % 7}"])
                copy.write_row(
                    (memory_id, memory, "what do I drink?", user_id, agent_id, topics)
                    + (updated_at, updated_at)
                )
        # Statistics, as autovacuum keeps them for a table in service.
        connection.execute(f"ANALYZE {TABLE}")


def rows_of(
    prefix: str, count: int, owners: list[str], agent: str, updated_at: int
) -> list[tuple[str, str, str, int]]:
    return [(f"{prefix}{n:07}", owners[n % len(owners)], agent, updated_at) for n in range(count)]


USERS = [f"user{n}" for n in range(50)]


def others(count: int) -> list[Any]:
    """Memories no path deletes or exports: someone else's, of another agent, recent."""
    return rows_of("k", count, ["someone"], "kept-agent", NOW)


def audited(database: Database, channel: str) -> int:
    """How many deletions the audit records of a channel count."""
    with database.connect() as connection:
        found = connection.execute(
            "SELECT coalesce(sum(count), 0) FROM memories_memorydeletion WHERE channel = %s",
            [channel],
        ).fetchone()
        return int(found[0])


def left_exactly(database: Database, kept: list[tuple[str, str, str, int]]) -> bool:
    return database.memory_ids() == {row[0] for row in kept}


# Export


class MemorySampler:
    """The largest resident size of any of the workers, sampled every 10 ms while running."""

    def __init__(self, workers: list[int]) -> None:
        self.workers = workers
        self.peak_kib = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            # The code before is served without sampling: no workers.
            self.peak_kib = max([self.peak_kib, *map(resident_kib, self.workers)])
            self._stop.wait(0.01)

    def __enter__(self) -> "MemorySampler":
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()


def resident_kib(pid: int) -> int:
    with contextlib.suppress(FileNotFoundError):
        status = Path(f"/proc/{pid}/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1))  # type: ignore[union-attr]
    return 0


def memory_ids_of(body: bytes) -> list[str]:
    """The memory ids of NDJSON lines, in their order (an error line has none: KeyError)."""
    return [json.loads(line)["memory_id"] for line in body.splitlines()]


def export_http(
    base: str, headers: dict[str, str], workers: list[int]
) -> tuple[float, bytes, int]:
    """Seconds to read the export whole, its body, and the workers' peak RSS (KiB) meanwhile."""
    chunks: list[bytes] = []

    def read() -> None:
        with requests.get(
            f"{base}/memory_export", headers=headers, stream=True, timeout=600
        ) as response:
            assert response.status_code == 200, response.text
            chunks.extend(response.iter_content(64 * 1024))

    with MemorySampler(workers) as sampler:
        seconds = timed(read)
    return seconds, b"".join(chunks), sampler.peak_kib


def export_python(database: Database, user_id: str) -> tuple[float, bytes]:
    """The least a server rendering each row in Python does: the same columns read as
    tuples in keyset chunks of 2000 (as the export reads them), one json.dumps per row
    (no datetime formatting), lines joined per chunk."""
    chunks: list[bytes] = []
    sql = (
        "SELECT memory_id, memory, topics, agent_id, team_id, user_id, updated_at, created_at"
        f" FROM {TABLE} WHERE user_id = %s AND memory_id > %s ORDER BY memory_id LIMIT 2000"
    )
    keys = ("memory_id", "memory", "topics", "agent_id", "team_id", "user_id", "updated_at")
    with database.connect() as connection:

        def read() -> None:
            after = ""
            while rows := connection.execute(sql, [user_id, after]).fetchall():
                lines = [
                    json.dumps(dict(zip(keys + ("created_at",), row, strict=True))) for row in rows
                ]
                chunks.append(("\n".join(lines) + "\n").encode())
                after = rows[-1][0]

        seconds = timed(read)
    return seconds, b"".join(chunks)


def export_copy(database: Database, user_id: str) -> tuple[float, bytes]:
    """The floor: the same rows as JSON, by COPY, read by the client (connected first, as the
    served workers are)."""
    chunks: list[bytes] = []
    with database.connect() as connection, connection.cursor() as cursor:
        sql = f"COPY (SELECT row_to_json(m) FROM {TABLE} m WHERE user_id = %s) TO STDOUT"

        def read() -> None:
            with cursor.copy(sql, [user_id]) as copy:
                chunks.extend(bytes(data) for data in copy)

        seconds = timed(read)
    return seconds, b"".join(chunks)


def measure_exports(
    database: Database, env: dict[str, str], folder: Path, args: argparse.Namespace, run: int
) -> list[dict[str, Any]]:
    """The export of args.export rows and of a fifth of them: the workers' memory must not
    grow with the rows."""
    results = []
    for count in (args.export // 5, args.export):
        results += measure_export(database, env, folder, count, run, args.baseline)
    return results


def measure_export(
    database: Database,
    env: dict[str, str],
    folder: Path,
    count: int,
    run: int,
    baseline: Path | None,
) -> list[dict[str, Any]]:
    key = env["AGENTOS_JWT_SIGNING_KEY"]
    headers = {"Authorization": f"Bearer {token(key, 'exporter')}"}
    exported = rows_of("e", count, ["exporter"], "chef", NOW)
    seed(database, exported + others(count // 10))
    expected = sorted(row[0] for row in exported)
    with (
        served(env, folder) as (base, pids),
        served_checkout(env, folder, baseline) as baseline_base,
    ):
        warm_up(base, headers)
        if baseline_base is not None:
            warm_up(baseline_base, headers)
        workers = process_tree(pids[0])[1:]
        before_kib = max(map(resident_kib, workers))

        def project() -> dict[str, Any]:
            seconds, body, peak_kib = export_http(base, headers, workers)
            return {
                "scenario": f"export {count}",
                "seconds": seconds,
                "rss_before_mib": before_kib / 1024,
                "rss_peak_mib": peak_kib / 1024,
                "verified": memory_ids_of(body) == expected,
            }

        def before() -> dict[str, Any]:
            assert baseline_base is not None
            seconds, body, _ = export_http(baseline_base, headers, [])
            return {
                "scenario": f"export {count}, before",
                "seconds": seconds,
                "verified": memory_ids_of(body) == expected,
            }

        def floor() -> dict[str, Any]:
            seconds, body = export_copy(database, "exporter")
            return {
                "scenario": f"export {count}, COPY",
                "seconds": seconds,
                "verified": sorted(memory_ids_of(body)) == expected,
            }

        def python_floor() -> dict[str, Any]:
            seconds, body = export_python(database, "exporter")
            return {
                "scenario": f"export {count}, Python floor",
                "seconds": seconds,
                "verified": memory_ids_of(body) == expected,
            }

        return interleaved(run, project, before if baseline_base else None, floor, python_floor)


# Deletion by filter and retention


def delete_and_record(database: Database, condition: str, params: list[Any], channel: str) -> None:
    """The floor: one statement deleting the rows of `condition` and writing one audit
    record of them all (their ids, their distinct owners, their count)."""
    with database.connect() as connection:
        connection.execute(
            f"WITH gone AS (DELETE FROM {TABLE} WHERE {condition} RETURNING memory_id, user_id)"
            f" INSERT INTO memories_memorydeletion ({RECORD_COLUMNS})"
            " SELECT now(), 'bench', %s, 'default', %s, to_jsonb(array_agg(memory_id)),"
            " (SELECT jsonb_agg(DISTINCT user_id) FROM gone), count(*) FROM gone",
            [*params, channel, TABLE],
        )


def counted_delete_and_record(
    database: Database, condition: str, params: list[Any], channel: str
) -> None:
    """The least a complete deletion does: the statement between the count that bounds it
    and the count that finds nothing left."""
    count = f"SELECT count(*) FROM {TABLE} WHERE {condition}"
    with database.connect() as connection:
        connection.execute(count, params).fetchone()
        delete_and_record(database, condition, params, channel)
        assert connection.execute(count, params).fetchone()[0] == 0


def measure_filtered(
    database: Database, env: dict[str, str], folder: Path, args: argparse.Namespace, run: int
) -> list[dict[str, Any]]:
    key = env["AGENTOS_JWT_SIGNING_KEY"]
    headers = {"Authorization": f"Bearer {token(key, 'operator', admin=True)}"}
    retired = rows_of("f", args.rows, USERS, "retired-agent", NOW)
    kept = others(args.rows // 10)
    results = []
    with served(env, folder) as (base, _):
        warm_up(base, headers)

        def project() -> dict[str, Any]:
            seed(database, retired + kept)
            body = {"agent_id": "retired-agent", "dry_run": False}

            def post() -> None:
                response = requests.post(
                    f"{base}/memory_deletions", json=body, headers=headers, timeout=600
                )
                assert response.status_code == 200, response.text
                assert response.json()["total"] == len(retired), response.text

            seconds = timed(post)
            verified = left_exactly(database, kept) and audited(database, "api") == len(retired)
            return {"scenario": "deletion by filter", "seconds": seconds, "verified": verified}

        def floor() -> dict[str, Any]:
            seed(database, retired + kept)
            seconds = timed(
                lambda: delete_and_record(database, "agent_id = %s", ["retired-agent"], "api")
            )
            verified = left_exactly(database, kept) and audited(database, "api") == len(retired)
            return {
                "scenario": "deletion by filter, one statement",
                "seconds": seconds,
                "verified": verified,
            }

        def counted() -> dict[str, Any]:
            seed(database, retired + kept)
            seconds = timed(
                lambda: counted_delete_and_record(
                    database, "agent_id = %s", ["retired-agent"], "api"
                )
            )
            verified = left_exactly(database, kept) and audited(database, "api") == len(retired)
            return {
                "scenario": "deletion by filter, one statement between two counts",
                "seconds": seconds,
                "verified": verified,
            }

        results += interleaved(run, project, floor, counted)
    return results


def measure_retention(
    database: Database, env: dict[str, str], args: argparse.Namespace, run: int
) -> list[dict[str, Any]]:
    expired = rows_of("r", args.rows, USERS, "chef", OLD)
    kept = others(args.rows // 10)
    env = {**env, "AGENTOS_MEMORY_RETENTION": json.dumps(RETENTION_RULE)}
    # Timed from an open connection, as the statement is: connecting is no deletion's.
    script = (
        "import time; from django.core.management import call_command; "
        "from django.db import connection; connection.ensure_connection(); "
        "t = time.perf_counter(); "
        "call_command('apply_memory_retention', verbosity=0, stdout=open('/dev/null', 'w')); "
        "print(time.perf_counter() - t)"
    )

    def project() -> dict[str, Any]:
        seed(database, expired + kept)
        seconds = float(manage(env, "shell", "-c", script).strip().splitlines()[-1])
        verified = left_exactly(database, kept) and audited(database, "retention") == len(expired)
        return {"scenario": "retention", "seconds": seconds, "verified": verified}

    def floor() -> dict[str, Any]:
        seed(database, expired + kept)
        # The rule's condition as the command writes it: last written before the cutoff.
        cutoff = NOW - 365 * 24 * 60 * 60
        condition = "(updated_at < %s OR (updated_at IS NULL AND created_at < %s))"
        seconds = timed(lambda: delete_and_record(database, condition, [cutoff] * 2, "retention"))
        verified = left_exactly(database, kept) and audited(database, "retention") == len(expired)
        return {"scenario": "retention, one statement", "seconds": seconds, "verified": verified}

    return interleaved(run, project, floor)


# PgBouncer


def measure_pooled(
    database: Database, env: dict[str, str], folder: Path, args: argparse.Namespace, run: int
) -> list[dict[str, Any]]:
    key = env["AGENTOS_JWT_SIGNING_KEY"]
    tokens = {user: token(key, user) for user in USERS}
    targeted = rows_of("d", args.deletes, USERS, "chef", NOW)
    spared = rows_of("s", args.deletes // 10, USERS, "chef", NOW)
    plan = [f"DELETE /memories/{memory_id} {tokens[user]}" for memory_id, user, _, _ in targeted]

    def replay(server_env: dict[str, str], scenario: str) -> dict[str, Any]:
        seed(database, targeted + spared)
        with served(server_env, folder) as (base, _):
            warm_workers(base, tokens[USERS[0]])
            result = run_wrk(base, plan, 16, folder)
        verified = left_exactly(database, spared) and result["statuses"] == {204: len(plan)}
        return {
            "scenario": scenario,
            "requests_per_s": result["requests_per_s"],
            "p99": result.get("p99"),
            "verified": verified,
        }

    (folder / "larger").mkdir()
    with (
        pgbouncer(folder / "pgbouncer") as pooler,
        pgbouncer(folder / "larger", pool_size=LARGER_POOL) as larger,
    ):
        pooled_env = {**env, "DATABASE_URL": f"{pooler}/{database.name}"}
        larger_env = {**env, "DATABASE_URL": f"{larger}/{database.name}"}
        return interleaved(
            run,
            lambda: replay(pooled_env, f"owner deletes c16, PgBouncer pool of {POOL_SIZE}"),
            lambda: replay(env, "owner deletes c16, direct"),
            lambda: replay(larger_env, f"owner deletes c16, PgBouncer pool of {LARGER_POOL}"),
        )


# Bulk API


def measure_bulk(
    database: Database, env: dict[str, str], folder: Path, args: argparse.Namespace, run: int
) -> list[dict[str, Any]]:
    key = env["AGENTOS_JWT_SIGNING_KEY"]
    headers = {"Authorization": f"Bearer {token(key, 'erased')}"}
    # Ids of Agno's shape: a request's body, its parsing and its checks are a client's size.
    erased = [(agno_shaped_id(n), "erased", "chef", NOW) for n in range(args.rows)]
    kept = others(args.rows // 10)
    batches = id_batches([row[0] for row in erased])
    with (
        served(env, folder) as (base, _),
        served_checkout(env, folder, args.baseline) as baseline_base,
        serving(
            http_floor.command,
            env,
            folder / "http-floor.log",
            ready_path="/",
            processes=3,
            log_output=False,
        ) as floor_server,
    ):
        warm_up(base, headers)
        if baseline_base is not None:
            warm_up(baseline_base, headers)

        def http_alone() -> dict[str, Any]:
            seconds = timed(lambda: bulk_api_deletes(floor_server.base, batches, headers))
            return {"scenario": "bulk, HTTP alone", "seconds": seconds, "verified": True}

        def api(url: str | None, scenario: str) -> dict[str, Any]:
            assert url is not None
            seed(database, erased + kept)
            seconds = timed(lambda: bulk_api_deletes(url, batches, headers))
            verified = left_exactly(database, kept) and audited(database, "api") == len(erased)
            return {"scenario": scenario, "seconds": seconds, "verified": verified}

        def project() -> dict[str, Any]:
            return api(base, "bulk API, 1000 ids")

        def before() -> dict[str, Any]:
            return api(baseline_base, "bulk API, 1000 ids, before")

        def service() -> dict[str, Any]:
            seed(database, erased + kept)
            seconds = service_deletes(env, folder, batches)
            verified = left_exactly(database, kept) and audited(database, "api") == len(erased)
            return {
                "scenario": "bulk, the service alone",
                "seconds": seconds,
                "verified": verified,
            }

        def floor() -> dict[str, Any]:
            seed(database, erased + kept)
            with database.connect() as connection:
                seconds = timed(lambda: raw_id_deletes("postgres", connection, batches))
            return {
                "scenario": "bulk, plain 1000-id statements",
                "seconds": seconds,
                "verified": left_exactly(database, kept),
            }

        return interleaved(
            run, project, before if baseline_base else None, floor, service, http_alone
        )


def service_deletes(env: dict[str, str], folder: Path, batches: list[list[str]]) -> float:
    """Seconds the service the bulk API calls (memories_delete) takes for the same batches,
    called in one process from an open connection: the statements, the audit records, the
    log lines, without HTTP, the request's parsing and validation, or the client."""
    plan = folder / "batches.json"
    plan.write_text(json.dumps(batches))
    script = (
        "import json, time; from django.db import connection; "
        "from memories.models import Channel; from memories.services import memories_delete; "
        "from memories.targets import resolve_target; connection.ensure_connection(); "
        f"batches = json.load(open({str(plan)!r})); "
        "target = resolve_target(db_id=None, table=None); t = time.perf_counter(); "
        "[memories_delete(target=target, memory_ids=batch, user_id='erased', actor='erased',"
        " channel=Channel.API) for batch in batches]; "
        "print(time.perf_counter() - t)"
    )
    return float(manage(env, "shell", "-c", script).strip().splitlines()[-1])


def interleaved(run: int, *steps: Callable[[], Any] | None) -> list[Any]:
    """The project and its floors one right after the other; which goes first turns with
    each round, so none always gets the machine's quieter moment. (None: a step left out.)"""
    chosen = [step for step in steps if step is not None]
    turn = run % len(chosen)
    return [step() for step in chosen[turn:] + chosen[:turn]]


@contextlib.contextmanager
def served_checkout(
    env: dict[str, str], folder: Path, checkout: Path | None
) -> Iterator[str | None]:
    """The code of another checkout (the code before a change) served as `served` serves
    this one, on the same database: its URL, or None without a checkout. Its own modules
    come first on the path, before this checkout's installed ones."""
    if checkout is None:
        yield None
        return
    with serving(
        lambda port: [str(checkout / "bin" / "serve")],
        {**env, "WEB_CONCURRENCY": "2", "PYTHONPATH": str(checkout)},
        folder / "serve-baseline.log",
        ready_path="/static/admin/img/icon-yes.svg",
        processes=3,
        log_output=False,
        cwd=checkout,
    ) as started:
        yield started.base


# Report

# (what, scenario, floor, metric, target, at least the target (else at most)); {export} is
# the large export's row count.
TARGETS = [
    (
        "export, NDJSON over HTTP",
        "export {export}",
        "export {export}, COPY",
        "seconds",
        3.0,
        False,
    ),
    (
        "deletion by filter",
        "deletion by filter",
        "deletion by filter, one statement",
        "seconds",
        1.5,
        False,
    ),
    ("retention", "retention", "retention, one statement", "seconds", 1.5, False),
    (
        "owner deletes c16 through PgBouncer",
        f"owner deletes c16, PgBouncer pool of {LARGER_POOL}",
        "owner deletes c16, direct",
        "requests_per_s",
        0.9,
        True,
    ),
    (
        "bulk API, 1000-id requests, one client",
        "bulk API, 1000 ids",
        "bulk, plain 1000-id statements",
        "seconds",
        1.5,
        False,
    ),
]
# For comparison, not targets: the floors behind the targets, and the code before a change.
COMPARISONS = [
    ("export / the Python floor", "export {export}", "export {export}, Python floor", "seconds"),
    (
        "the Python floor / COPY",
        "export {export}, Python floor",
        "export {export}, COPY",
        "seconds",
    ),
    (
        "export, the code before / COPY",
        "export {export}, before",
        "export {export}, COPY",
        "seconds",
    ),
    ("export / the code before", "export {export}", "export {export}, before", "seconds"),
    (
        "deletion by filter / the statement between two counts",
        "deletion by filter",
        "deletion by filter, one statement between two counts",
        "seconds",
    ),
    (
        "the statement between two counts / the statement",
        "deletion by filter, one statement between two counts",
        "deletion by filter, one statement",
        "seconds",
    ),
    (
        f"PgBouncer with a pool of {POOL_SIZE}, fewer than the threads / direct",
        f"owner deletes c16, PgBouncer pool of {POOL_SIZE}",
        "owner deletes c16, direct",
        "requests_per_s",
    ),
    (
        "bulk, the service alone / plain statements",
        "bulk, the service alone",
        "bulk, plain 1000-id statements",
        "seconds",
    ),
    (
        "HTTP alone (the same requests, each body read and answered 204) / plain statements",
        "bulk, HTTP alone",
        "bulk, plain 1000-id statements",
        "seconds",
    ),
    (
        "bulk API / the service alone",
        "bulk API, 1000 ids",
        "bulk, the service alone",
        "seconds",
    ),
    (
        "bulk API, the code before / plain statements",
        "bulk API, 1000 ids, before",
        "bulk, plain 1000-id statements",
        "seconds",
    ),
    ("bulk API / the code before", "bulk API, 1000 ids", "bulk API, 1000 ids, before", "seconds"),
]


def spread(values: list[float], digits: int) -> str:
    if not values:
        return "not measured"
    median, low, high = statistics.median(values), min(values), max(values)
    return f"{median:.{digits}f} ({low:.{digits}f}-{high:.{digits}f})"


def report(results: list[dict[str, Any]], args: argparse.Namespace) -> str:
    scenarios = list(dict.fromkeys(r["scenario"] for r in results))
    lines = [
        "| path or floor | seconds | requests/s | p99 ms | workers' RSS before MiB"
        " | workers' peak RSS MiB | verified |",
        "|---|---|---|---|---|---|---|",
    ]
    for scenario in scenarios:
        found = [r for r in results if r["scenario"] == scenario]

        def column(metric: str, digits: int, found: list[dict[str, Any]] = found) -> str:
            values = [r[metric] for r in found if r.get(metric) is not None]
            return spread(values, digits) if values else ""

        verified = all(r["verified"] for r in found)
        lines.append(
            f"| {scenario} | {column('seconds', 3)} | {column('requests_per_s', 0)}"
            f" | {column('p99', 1)} | {column('rss_before_mib', 1)} | {column('rss_peak_mib', 1)}"
            f" | {verified} |"
        )
    lines += [
        "",
        "| what | measured against | target | ratio, median (min-max) of the rounds | met |",
        "|---|---|---|---|---|",
    ]
    for what, scenario, floor, metric, goal, at_least in TARGETS:
        scenario, floor = scenario.format(export=args.export), floor.format(export=args.export)
        values = ratios(results, scenario, floor, metric)
        median = statistics.median(values) if values else None
        met = median is not None and (median >= goal if at_least else median <= goal)
        sign = ">=" if at_least else "<="
        verdict = "met" if met else "NOT met"
        lines.append(f"| {what} | {floor} | {sign} {goal} | {spread(values, 2)} | {verdict} |")
    lines += ["", "For comparison (ratios within each round):", ""]
    for what, scenario, floor, metric in COMPARISONS:
        scenario, floor = scenario.format(export=args.export), floor.format(export=args.export)
        values = ratios(results, scenario, floor, metric)
        if values:
            lines.append(f"- {what}: {spread(values, 2)}")
    small, large = f"export {args.export // 5}", f"export {args.export}"
    growth = ratios(results, large, small, "rss_peak_mib", difference=True)
    lines += [
        "",
        f"- The workers' peak RSS during the export of {args.export} rows less that during "
        f"the export of {args.export // 5} rows (MiB, per round): {spread(growth, 1)}",
    ]
    return "\n".join(lines)


def ratios(
    results: list[dict[str, Any]],
    scenario: str,
    floor: str,
    metric: str,
    *,
    difference: bool = False,
) -> list[float]:
    """metric of scenario over (or less) that of floor, within each round."""
    values = []
    for run in dict.fromkeys(r["run"] for r in results):
        mine = [r for r in results if r["run"] == run and r["scenario"] == scenario]
        theirs = [r for r in results if r["run"] == run and r["scenario"] == floor]
        if mine and theirs and metric in mine[0] and metric in theirs[0]:
            a, b = mine[0][metric], theirs[0][metric]
            values.append(a - b if difference else a / b)
    return values


# Running


def measure_round(args: argparse.Namespace, run: int) -> list[dict[str, Any]]:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        (folder / "pgbouncer").mkdir()
        database = Database("postgres", folder, prefix=DATABASE_PREFIX)
        key = secrets.token_urlsafe(48)
        env = project_env(database, key, folder)
        try:
            manage(env, "migrate", "--noinput")
            manage(env, "collectstatic", "--noinput")
            results: list[dict[str, Any]] = []
            steps = {
                "export": lambda: measure_exports(database, env, folder, args, run),
                "filter": lambda: measure_filtered(database, env, folder, args, run),
                "retention": lambda: measure_retention(database, env, args, run),
                "pgbouncer": lambda: measure_pooled(database, env, folder, args, run),
                "bulk": lambda: measure_bulk(database, env, folder, args, run),
            }
            for step in args.paths.split(","):
                print(f"round {run + 1}/{args.rounds}: {step}", file=sys.stderr)
                results += steps[step]()
            for result in results:
                result["run"] = run
            return results
        finally:
            database.drop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="Interleaved rounds.")
    parser.add_argument("--export", type=int, default=100_000, help="Rows of the large export.")
    parser.add_argument("--rows", type=int, default=100_000, help="Rows each deletion deletes.")
    parser.add_argument("--deletes", type=int, default=10_000, help="Deletes of each replay.")
    parser.add_argument(
        "--paths",
        default="export,filter,retention,pgbouncer,bulk",
        help="Comma-separated, of: export, filter, retention, pgbouncer, bulk.",
    )
    parser.add_argument(
        "--baseline",
        type=Path,
        help="A checkout of the code before a change (git worktree add): its export and bulk "
        "API are measured beside this checkout's, in the same rounds.",
    )
    parser.add_argument("--output", type=Path, default=ROOT / "BENCHMARKS.md")
    parser.add_argument("--results", type=Path, default=ROOT / ".bench-paths-results.json")
    parser.add_argument(
        "--render", action="store_true", help="Measure nothing: report the kept measurements."
    )
    args = parser.parse_args()
    if args.render:
        kept = json.loads(args.results.read_text())
    else:
        runs = [result for run in range(args.rounds) for result in measure_round(args, run)]
        kept = {
            "runs": runs,
            "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
            "parameters": json.dumps(
                {k: str(v) for k, v in vars(args).items() if k not in ("output", "results")}
            ),
            "pool_size": LARGER_POOL,
            "small_pool_size": POOL_SIZE,
            "cores": os.cpu_count(),
        }
        args.results.write_text(json.dumps(kept, indent=1))
    table = report(kept["runs"], args)
    print(table)
    template = (ROOT / "bench" / "BENCHMARKS.paths.md").read_text()
    section = template.format(table=table, **{k: v for k, v in kept.items() if k != "runs"})
    document = args.output.read_text() if args.output.exists() else ""
    args.output.write_text(replace_section(document, section))


if __name__ == "__main__":
    main()
