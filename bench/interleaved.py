"""The CPU of one DELETE /memories/{memory_id} in-process, this checkout against another,
measured in turns (A, B, A, B...) so that the machine's other load falls on both alike.

Each turn is a fresh process that runs one checkout's WSGI application on a fresh PostgreSQL
database (bench/profile.py's setup: owner tokens, 204s only), warms it, then times blocks of
deletes with the process's CPU clock and keeps the best block. Prints each turn and, per
checkout, the median (min-max) over its turns.

    .venv/bin/python bench/interleaved.py --baseline /path/to/main --rounds 3
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
        for request in plan[:300]:
            call(request)
        results = []
        for block in range(blocks):
            chunk = plan[300 + block * requests: 300 + (block + 1) * requests]
            cpu, wall = time.process_time(), time.perf_counter()
            for request in chunk:
                call(request)
            results.append((time.process_time() - cpu, time.perf_counter() - wall))
        assert not database.memory_ids(), "memories left"
        print(json.dumps([[c / requests, w / requests] for c, w in results]))
    finally:
        from django.db import connections
        connections.close_all()
        database.drop()
"""


def turn(checkout: Path, requests: int, blocks: int) -> float:
    """The best block's CPU seconds per delete, in a fresh process serving checkout."""
    output = subprocess.run(
        [sys.executable, "-c", MEASURE, str(checkout), str(requests), str(blocks)],
        cwd=checkout,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    blocks_measured: list[list[float]] = json.loads(output.splitlines()[-1])
    return min(cpu for cpu, _wall in blocks_measured)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", type=Path, required=True, help="The other checkout.")
    parser.add_argument(
        "--checkout", type=Path, default=ROOT, help="The checkout measured (this one)."
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--requests", type=int, default=1000, help="Deletes per block.")
    parser.add_argument("--blocks", type=int, default=3)
    args = parser.parse_args()
    checkouts = {"baseline": args.baseline.resolve(), "this": args.checkout.resolve()}
    results: dict[str, list[float]] = {name: [] for name in checkouts}
    for number in range(args.rounds):
        for name, checkout in checkouts.items():
            cpu = turn(checkout, args.requests, args.blocks)
            results[name].append(cpu)
            print(f"round {number + 1} {name}: {1e6 * cpu:.0f} us CPU per delete", flush=True)
    for name, runs in results.items():
        print(
            f"{name}: {1e6 * statistics.median(runs):.0f} "
            f"({1e6 * min(runs):.0f}-{1e6 * max(runs):.0f}) us CPU per delete"
        )


if __name__ == "__main__":
    main()
