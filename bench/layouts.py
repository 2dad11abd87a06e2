"""The project served by bin/serve in several layouts (workers, threads, granian's options),
each replaying the same owner deletes with wrk, in turns, on PostgreSQL: the server's CPU per
delete, deletes/s, p99 and the context switches of its workers per delete, and each layout's
ratios to the first one within each round.

A layout is `LABEL` or `LABEL:VARIABLE=VALUE,...`, the variables bin/serve and granian read
(WEB_CONCURRENCY, AGENTOS_BLOCKING_THREADS, GRANIAN_RUNTIME_MODE...). The first is the
reference; its figures are the ratios' 1.

    .venv/bin/python bench/layouts.py --layout make-run \
        --layout one-thread:AGENTOS_BLOCKING_THREADS=1 \
        --layout st:GRANIAN_RUNTIME_MODE=st --rounds 2 --connections 16,64

With --perf FILE, the reference layout's first replay is also sampled by `perf record -e
cpu-clock` (a software clock: it works where the machine exposes no hardware counters), and
the share of each binary (the interpreter, the kernel, granian, psycopg) is printed.
"""

import argparse
import re
import secrets
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import (  # noqa: E402
    FILLER,
    PROJECT,
    Database,
    cpu_seconds,
    manage,
    project_env,
    run_wrk,
    server_command,
    token,
    warm_workers,
)
from tests.servers import process_tree, serving  # noqa: E402

Layout = tuple[str, dict[str, str]]


def layout(text: str) -> Layout:
    label, _, assignments = text.partition(":")
    variables = dict(item.split("=", 1) for item in assignments.split(",") if item)
    return label, variables


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layout", type=layout, action="append", required=True)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--deletes", type=int, default=6000, help="Deletes per replay.")
    parser.add_argument("--connections", default="16", help="Comma-separated.")
    parser.add_argument("--perf", type=Path, help="Where to keep perf's samples.")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        measure(args, Path(folder))


def measure(args: argparse.Namespace, folder: Path) -> None:
    layouts: list[Layout] = args.layout
    database = Database("postgres", folder)
    key = secrets.token_urlsafe(48)
    env = project_env(database, key, folder)
    users = [f"user{n}" for n in range(100)]
    tokens = {user: token(key, user) for user in users}
    results: dict[tuple[str, int], list[dict[str, float]]] = {}
    perf_path: Path | None = args.perf
    try:
        manage(env, "migrate", "--noinput")
        manage(env, "collectstatic", "--noinput")
        for number in range(args.rounds):
            for connections in [int(c) for c in args.connections.split(",")]:
                # Neither end of the list always replays first.
                ordered = layouts if number % 2 == 0 else layouts[::-1]
                for label, variables in ordered:
                    sampled = perf_path if label == layouts[0][0] else None
                    result = replay(
                        database, {**env, **variables}, folder, tokens, args, connections, sampled
                    )
                    if sampled:
                        perf_path = None
                    results.setdefault((label, connections), []).append(result)
                    print(number, connections, label, format_result(result), flush=True)
    finally:
        database.drop()
    report(layouts, results, args)


def replay(
    database: Database,
    env: dict[str, str],
    folder: Path,
    tokens: dict[str, str],
    args: argparse.Namespace,
    connections: int,
    perf_path: Path | None,
) -> dict[str, float]:
    users = list(tokens)
    database.clear()
    owners = {f"m{n:07}": users[n % len(users)] for n in range(args.deletes)}
    database.seed(owners)
    plan = [f"DELETE /memories/{memory_id} {tokens[user]}" for memory_id, user in owners.items()]
    workers = int(env.get("WEB_CONCURRENCY", "2"))
    env = {**env, "WEB_CONCURRENCY": str(workers)}
    with serving(
        lambda port: server_command(PROJECT, port),
        env,
        folder / "serve.log",
        ready_path=FILLER[PROJECT],
        processes=2 + workers,  # bin/serve, granian's main process, its workers
        log_output=False,
    ) as started:
        warm_workers(started.base, tokens[users[0]])
        server = process_tree(started.process.pid)[1:]  # granian and its workers
        targets = ",".join(map(str, server))
        counted = folder / "switches.csv"
        count = ["perf", "stat", "-x,", "-e", "context-switches", "-p", targets]
        watchers = [subprocess.Popen([*count, "-o", str(counted)])]
        if perf_path:
            watchers.append(
                subprocess.Popen(
                    ["perf", "record", "-e", "cpu-clock", "-F", "2000", "-g"]
                    + ["-o", str(perf_path), "-p", targets],
                    stderr=subprocess.DEVNULL,
                )
            )
        before = cpu_seconds(server)
        wrk = run_wrk(started.base, plan, connections, folder)
        after = cpu_seconds(server)
        for watcher in watchers:
            watcher.send_signal(2)  # SIGINT: perf writes what it counted
            watcher.wait()
    switches = re.search(r"^(\d+),", counted.read_text(), re.MULTILINE)
    verified = wrk["statuses"] == {204: args.deletes} and not database.memory_ids()
    if not verified:
        raise RuntimeError(f"replay not verified: {wrk['statuses']}")
    if perf_path:
        print(shares(perf_path))
    return {
        "cpu_ms": 1000 * (after - before) / args.deletes,
        "per_s": wrk["requests_per_s"],
        "p99_ms": wrk.get("p99", float("nan")),
        "switches": int(switches.group(1)) / args.deletes if switches else float("nan"),
    }


def shares(perf_path: Path) -> str:
    """perf's samples by binary, the first lines of its report."""
    report = subprocess.run(
        ["perf", "report", "-i", str(perf_path), "--no-children", "--sort", "dso", "--stdio"]
        + ["-g", "none"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    lines = [line for line in report.splitlines() if line.strip() and not line.startswith("#")]
    return "\n".join(lines[:8])


def format_result(result: dict[str, float]) -> str:
    return (
        f"CPU {result['cpu_ms']:.3f} ms/delete, {result['per_s']:.0f} deletes/s, "
        f"p99 {result['p99_ms']:.1f} ms, {result['switches']:.1f} switches/delete"
    )


def spread(values: list[float]) -> str:
    return f"{statistics.median(values):.2f} ({min(values):.2f}-{max(values):.2f})"


def report(
    layouts: list[Layout],
    results: dict[tuple[str, int], list[dict[str, float]]],
    args: argparse.Namespace,
) -> None:
    reference = layouts[0][0]
    print(f"\nRatios to {reference} within each round, median (min-max):")
    for connections in [int(c) for c in args.connections.split(",")]:
        for label, _ in layouts:
            rounds = results[(label, connections)]
            references = results[(reference, connections)]
            cpu = [r["cpu_ms"] / b["cpu_ms"] for r, b in zip(rounds, references, strict=True)]
            rate = [r["per_s"] / b["per_s"] for r, b in zip(rounds, references, strict=True)]
            switches = statistics.median(r["switches"] for r in rounds)
            print(
                f"c{connections} {label}: CPU per delete {spread(cpu)}, deletes/s {spread(rate)},"
                f" {switches:.1f} switches/delete"
            )


if __name__ == "__main__":
    main()
