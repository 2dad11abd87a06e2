"""The CPU of one DELETE /memories/{memory_id} in-process, this checkout against another,
measured in turns (A, B, A, B...) so that the machine's other load falls on both alike.

Each turn is a fresh process that runs one checkout's WSGI application on a fresh PostgreSQL
database (bench/profile.py's setup: owner tokens, 204s only), warms it, then times blocks of
deletes with the process's CPU clock and keeps the best block. Prints each turn, per
checkout the median (min-max) over its turns, and the ratio of the two within each round.

    .venv/bin/python bench/interleaved.py --baseline /path/to/main --rounds 3

Each side may run on its own interpreter (a virtualenv holding the same lock), which compares
two Pythons on the same code:

    .venv/bin/python bench/interleaved.py --baseline . --python .venv313/bin/python
"""

import argparse
import json
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# Run in a child process whose first path entry is the checkout measured.
MEASURE = """
import gc, json, secrets, sys, tempfile, time
from pathlib import Path
sys.path.insert(0, sys.argv[1])
from bench.profile import configure, environ
from bench.run import Database
requests, blocks = int(sys.argv[2]), int(sys.argv[3])
with tempfile.TemporaryDirectory() as folder:
    database = Database("postgres", Path(folder))
    key = secrets.token_urlsafe(48)
    configure(database, key, Path(folder))
    import os
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = folder
    try:
        import django, jwt
        from django.core.management import call_command
        django.setup()
        call_command("migrate", verbosity=0)
        from agentos.wsgi import application
        now = int(time.time())
        users = [f"user{n}" for n in range(50)]
        tokens = {u: jwt.encode({"sub": u, "iat": now, "exp": now + 3600}, key,
                                algorithm="HS256") for u in users}
        total = 300 + requests * blocks
        owners = {f"m{n:07}": users[n % 50] for n in range(total)}
        database.seed(owners)
        plan = [environ(f"/memories/{m}", tokens[u]) for m, u in owners.items()]
        def start_response(status, headers, exc_info=None):
            assert status.startswith("204"), status
            return lambda data: None
        def call(request):
            response = application(request, start_response)
            b"".join(response)
            response.close()
        import psycopg
        waited = [0.0]
        wait = psycopg.Connection.wait
        def timed_wait(*args, **kwargs):
            cpu, wall = time.thread_time(), time.perf_counter()
            try:
                return wait(*args, **kwargs)
            finally:
                waited[0] += (time.perf_counter() - wall) - (time.thread_time() - cpu)
        psycopg.Connection.wait = timed_wait
        for request in plan[:300]:
            call(request)
        results, each = [], []
        for block in range(blocks):
            chunk = plan[300 + block * requests: 300 + (block + 1) * requests]
            cpu = time.process_time()
            for request in chunk:
                waited[0], started = 0.0, time.perf_counter()
                call(request)
                each.append(time.perf_counter() - started - waited[0])
            results.append((time.process_time() - cpu) / requests)
        assert not database.memory_ids(), "memories left"
        print(json.dumps({"blocks": results, "median": sorted(each)[len(each) // 2],
                          "python": sys.version.split()[0]}))
    finally:
        from django.db import connections
        connections.close_all()
        database.drop()
"""


def turn(checkout: Path, python: str, requests: int, blocks: int) -> tuple[float, float, str]:
    """In a fresh process of python serving checkout: the median delete's time on the CPU
    (its wall time less the database's waits: the requests another process interrupted fall
    outside the median), the best block's process CPU per delete (seconds), and the
    interpreter's version."""
    output = subprocess.run(
        [python, "-c", MEASURE, str(checkout), str(requests), str(blocks)],
        cwd=checkout,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    measured = json.loads(output.splitlines()[-1])
    return float(measured["median"]), min(measured["blocks"]), measured["python"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="The other checkout.")
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="The checkout measured (this one)."
    )
    parser.add_argument(
        "--baseline-python",
        default=sys.executable,
        help="The interpreter that runs the other checkout (this one's by default).",
    )
    parser.add_argument(
        "--python",
        default=sys.executable,
        help="The interpreter that runs the checkout measured (this one's by default).",
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000, help="Deletes per block.")
    parser.add_argument("--blocks", type=int, default=3)
    args = parser.parse_args()
    checkouts = {
        "baseline": (args.baseline.resolve(), args.baseline_python),
        "this": (args.checkout.resolve(), args.python),
    }
    medians: dict[str, list[float]] = {name: [] for name in checkouts}
    processes: dict[str, list[float]] = {name: [] for name in checkouts}
    for number in range(args.rounds):
        # A, B, then B, A: neither always runs first.
        order = list(checkouts.items())
        for name, (checkout, python) in order if number % 2 == 0 else order[::-1]:
            median, process, version = turn(checkout, python, args.requests, args.blocks)
            medians[name].append(median)
            processes[name].append(process)
            print(
                f"round {number + 1} {name} (Python {version}): median delete "
                f"{1e6 * median:.0f} us on the CPU, process CPU {1e6 * process:.0f} us per delete",
                flush=True,
            )
    for name in checkouts:
        print(f"{name}: median delete {spread(medians[name])}", end=", ")
        print(f"process CPU {spread(processes[name])}")
    print(
        f"this / baseline within each round: median delete {ratios(medians)}, "
        f"process CPU {ratios(processes)}"
    )


def ratios(runs: dict[str, list[float]]) -> str:
    """Median (min-max) of this checkout's figure over the baseline's, round by round."""
    each = [this / base for this, base in zip(runs["this"], runs["baseline"], strict=True)]
    return f"{statistics.median(each):.3f} ({min(each):.3f}-{max(each):.3f})"


def spread(runs: list[float]) -> str:
    """Median (min-max), in microseconds."""
    return f"{1e6 * statistics.median(runs):.0f} ({1e6 * min(runs):.0f}-{1e6 * max(runs):.0f}) us"


if __name__ == "__main__":
    main()
