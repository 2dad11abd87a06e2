"""Where a served worker spends its time during a delete load, sampled with py-spy.

Seeds a fresh PostgreSQL database, serves the project with `bin/serve`, replays owner
deletes with wrk at concurrency 16 and samples one worker for a few seconds. Prints the
share of the samples spent in each frame (inclusive), e.g. the database waits, the health
check, authentication, the server's access log (granian's workers run Python only in
the application's threads: parsing and writing are in Rust).

    .venv/bin/python bench/sample.py --memories 15000 --top 60
"""

import argparse
import secrets
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import Database, manage, project_env, run_wrk, served, token  # noqa: E402


def frame_name(frame: str) -> str:
    """`function (package/module.py:line)` -> `function (package/module.py)`."""
    function, _, where = frame.partition(" (")
    return f"{function} ({where.split(':')[0].split('/site-packages/')[-1]}"


def scaffolding(frame: str) -> bool:
    """The server's start-up frames, under every sample alike (gunicorn's, if it serves)."""
    return any(
        part in frame
        for part in ("(gunicorn/app/", "(gunicorn/arbiter.py", "<module>", "init_process")
    ) or frame.startswith(("SyncWorker.run ", "SyncWorker.run_for_one "))


def shares(raw: Path) -> tuple[int, Counter[str]]:
    total, inclusive = 0, Counter[str]()
    for line in raw.read_text().splitlines():
        stack, _, count = line.rpartition(" ")
        total += int(count)
        for name in {frame_name(frame) for frame in stack.split(";")}:
            inclusive[name] += int(count)
    return total, inclusive


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=15000)
    parser.add_argument("--seconds", type=int, default=8)
    parser.add_argument("--top", type=int, default=45)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        database = Database("postgres", folder)
        key = secrets.token_urlsafe(48)
        env = project_env(database, key, folder)
        try:
            manage(env, "migrate", "--noinput")
            users = [f"user{n}" for n in range(50)]
            tokens = {user: token(key, user) for user in users}
            owners = {f"m{n:07}": users[n % len(users)] for n in range(args.memories)}
            database.seed(owners)
            plan = [
                f"DELETE /memories/{memory_id} {tokens[user]}"
                for memory_id, user in owners.items()
            ]
            raw = folder / "samples.txt"
            with served(env, folder) as (base, pids):
                # bin/serve, granian's main process (which serves no request), its workers:
                # the last of the tree, parents first, is a worker.
                worker = pids[-1]
                py_spy = str(Path(sys.executable).with_name("py-spy"))
                sampler = subprocess.Popen(
                    [py_spy, "record", "--pid", str(worker), "--duration", str(args.seconds)]
                    + ["--rate", "500", "--format", "raw", "--nonblocking", "-o", str(raw)],
                    stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL,
                )
                result = run_wrk(base, plan, 16, folder)
                sampler.wait()
            print(f"wrk: {result['requests_per_s']:.0f} deletes/s, statuses {result['statuses']}")
            total, inclusive = shares(raw)
            print(f"{total} samples of one worker; inclusive share per frame:")
            frames = [item for item in inclusive.most_common() if not scaffolding(item[0])]
            for frame, count in frames[: args.top]:
                print(f"{100 * count / total:5.1f}%  {frame}")
        finally:
            database.drop()


if __name__ == "__main__":
    main()
