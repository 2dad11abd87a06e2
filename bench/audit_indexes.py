"""What the audit records' indexes cost a delete on PostgreSQL: the records' table as
migration 0005 left it (each text field's index and its `varchar_pattern_ops` twin) against
0006 (the field's index alone), in turns on one database.

Runs the project's WSGI application in-process (bench/profile.py's setup: owner tokens, 204s
only) over a records' table already holding `--records` records, as a deployment's grows.
Between blocks of deletes the four pattern indexes are built or dropped, so the two shapes
alternate (with, without, without, with...) on the same rows and connection. Per block: the
database server's CPU per delete (its process serving the application's connection), the
WAL written per delete, and this process's CPU per delete; at the end, the size of the
records' indexes in either shape. Prints each block, then per shape the median (min-max)
over its blocks, and the median (min-max) of the ratio within each pair of blocks.

    .venv/bin/python bench/audit_indexes.py --blocks 10 --requests 1500
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.profile import configured_database, environ  # noqa: E402
from bench.run import token  # noqa: E402

# The four pattern indexes migration 0006 drops from the deletions' records (0005's shape).
PATTERN_COLUMNS = ("actor", "channel", "db_id", "request_id")
RECORDS = "memories_memorydeletion"


def server_cpu_seconds(pid: int) -> float:
    """A PostgreSQL server process's CPU so far (user and system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def set_patterns(admin: Any, present: bool) -> None:
    for column in PATTERN_COLUMNS:
        name = f"bench_{column}_like"
        if present:
            admin.execute(
                f"CREATE INDEX IF NOT EXISTS {name} ON {RECORDS} ({column} varchar_pattern_ops)"
            )
        else:
            admin.execute(f"DROP INDEX IF EXISTS {name}")
    admin.execute(f"VACUUM ANALYZE {RECORDS}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=6, help="Blocks of each shape.")
    parser.add_argument("--requests", type=int, default=1000, help="Deletes per block.")
    parser.add_argument("--records", type=int, default=200_000, help="Records there before.")
    args = parser.parse_args()

    with configured_database("postgres") as (database, key):
        import django
        from django.core.management import call_command

        django.setup()
        call_command("migrate", verbosity=0)
        from django.db import connections

        from agentos.wsgi import application

        users = [f"user{n}" for n in range(50)]
        tokens = {user: token(key, user) for user in users}
        total = 300 + 2 * args.blocks * args.requests
        owners = {f"m{n:07}": users[n % 50] for n in range(total)}
        database.seed(owners)
        plan = [environ(f"/memories/{memory}", tokens[user]) for memory, user in owners.items()]

        def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
            assert status.startswith("204"), status
            return lambda data: None

        def call(request: dict[str, Any]) -> None:
            response = application(request, start_response)
            b"".join(response)
            response.close()

        with database.connect() as admin:
            admin.execute(
                f"INSERT INTO {RECORDS} (deleted_at, actor, channel, db_id, table_name,"
                " memory_ids, user_ids, count, request_id)"
                " SELECT now() - n * interval '1 second', 'user' || (n %% 5000), 'api',"
                " 'default', 'agno_memories', jsonb_build_array('m' || n),"
                " jsonb_build_array('user' || (n %% 5000)), 1, md5(n::text)"
                " FROM generate_series(1, %s) n",
                [args.records],
            )
            for request in plan[:300]:
                call(request)
            pid = connections["default"].connection.info.backend_pid
            shapes: dict[str, dict[str, list[float]]] = {
                name: {"server_us": [], "wal_bytes": [], "process_us": []}
                for name in ("with pattern indexes", "without")
            }
            order = ["with pattern indexes", "without"]
            for block in range(2 * args.blocks):
                # with, without, without, with, ...: neither always goes first.
                name = order[(block + block // 2) % 2]
                set_patterns(admin, name != "without")
                start = 300 + block * args.requests
                chunk = plan[start : start + args.requests]
                wal = admin.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
                server, process = server_cpu_seconds(pid), time.process_time()
                for request in chunk:
                    call(request)
                measured = {
                    "server_us": (server_cpu_seconds(pid) - server) * 1e6 / args.requests,
                    "wal_bytes": float(
                        admin.execute(
                            "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), %s)", [wal]
                        ).fetchone()[0]
                    )
                    / args.requests,
                    "process_us": (time.process_time() - process) * 1e6 / args.requests,
                }
                for metric, value in measured.items():
                    shapes[name][metric].append(value)
                print(json.dumps({"block": block, "shape": name, **measured}))
            sizes = {}
            for name in order:
                set_patterns(admin, name != "without")
                sizes[name] = admin.execute(
                    "SELECT pg_indexes_size(%s::regclass) / 1048576.0", [RECORDS]
                ).fetchone()[0]
        assert not database.memory_ids(), "memories left"

    # Each pair of blocks (0 and 1, 2 and 3, ...) holds one of each shape, side by side.
    for metric in ("server_us", "wal_bytes", "process_us"):
        for name, values in shapes.items():
            print(
                f"{metric:>10} {name:>21}: {statistics.median(values[metric]):8.1f}"
                f" ({min(values[metric]):.1f}-{max(values[metric]):.1f})"
            )
        ratios = [
            without / with_patterns
            for without, with_patterns in zip(
                shapes["without"][metric], shapes[order[0]][metric], strict=True
            )
        ]
        print(
            f"{metric:>10} without / with, per pair: {statistics.median(ratios):.3f}"
            f" ({min(ratios):.3f}-{max(ratios):.3f})"
        )
    records = args.records + 2 * args.blocks * args.requests + 300
    for name, size in sizes.items():
        print(f"indexes of {records} records, {name}: {size:.1f} MiB")


if __name__ == "__main__":
    main()
