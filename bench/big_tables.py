"""Production-size tables: the admin and the aggregate endpoints against the API's list page.

Run with `make bench-big-tables` (not part of `make test`). Seeds 1,000,000 memories (50,000
users, 20 agents, 30 topics) into PostgreSQL database `agentos_memories_bigtables` with one
INSERT ... SELECT generate_series, then VACUUM ANALYZE, as autovacuum keeps a table in service
(kept between runs: seeded again only when its row count differs, or with --reseed). Serves the
project as `make run` does (bin/serve: granian, 2 workers, a cache per worker), signs in to the
admin, and times, interleaved over --rounds rounds, one request after the other:
- the API's list page (`GET /memories`, an admin token), with and without `user_id`;
- the admin's changelist: the first page, page 5000, filtered by agent, by topic, searched;
- the admin's change form of one memory;
- `GET /memory_topics` and `GET /user_memory_stats` (an admin token), and a page of the
  latter that no earlier request asked for (a different one each time: never kept);
- the plain GROUP BY behind that page, run directly (psycopg), the floor of an unkept page;
- the audit trail's changelist over --records deletion records (one every 30 seconds back
  from the seeding, 50,000 actors, four channels, three databases): the first page, page
  5000, filtered by channel, by actor, by db_id and by month.
Each is reported as its median (min-max) and as the median of its ratios to the API's list
page of the same round and server. With --baseline PATH (a checkout of another commit, e.g.
`git worktree add /tmp/base main`), that checkout is served too, on the same rows, each
round timing both servers in turn (each first in every other round), so the two compare what
the same minutes of this machine allowed. Whether a changelist offers "Show counts" (Django's
facets) is reported, not timed: on this table its query runs for minutes, and keeps running
after its client has gone.
With --pause 65, each round finds what the servers keep for AGGREGATE_CACHE_SECONDS (60)
expired; --database seeds and serves another database (a copy, to leave a shared one as is).
A cache per worker keeps a value in the worker that read it, and after a pause a round's
requests may reach the other worker, whose copy is then missing or past 2 x 60 s: they read
the table themselves, and no refresh runs. --cache-url redis://HOST:PORT gives each server's
workers one cache (this checkout Redis database 0, the baseline 1, both emptied first), as a
deployment of several workers has: each round then finds every value stale, served while
one refresh runs.

    .venv/bin/python bench/big_tables.py --rounds 5 --baseline /tmp/base
"""

import argparse
import contextlib
import datetime
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import requests

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.run import token  # noqa: E402
from tests.databases import PG_SERVER  # noqa: E402
from tests.servers import clean_environment, serving  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
DATABASE = "agentos_memories_bigtables"
# The statement a page of /user_memory_stats can cost no less than: every row grouped.
PLAIN_GROUP_BY = """
SELECT user_id, COUNT(*), MAX(updated_at) FROM agno_memories WHERE user_id IS NOT NULL
GROUP BY user_id ORDER BY 3 DESC, 1 LIMIT 20
"""
FLOOR = "plain GROUP BY (psycopg)"
ADMIN_USER, ADMIN_PASSWORD = "bench", secrets.token_urlsafe(16)
CHANGELIST = "/admin/memories/memory/"
AUDIT = "/admin/memories/memorydeletion/"
# The reference: the API's list page, as an administrator sees it.
API_LIST = "api list"

# %% is SQL's modulo, escaped: the statement takes a parameter.
SEED = """
INSERT INTO agno_memories
    (memory_id, memory, agent_id, team_id, user_id, topics, created_at, updated_at)
SELECT md5('memory' || n)::uuid::text,
       to_jsonb('Memory ' || n || ': the user mentioned '
                || (ARRAY['coffee', 'hiking', 'jazz', 'python', 'gardening', 'chess',
                          'sailing', 'baking'])[1 + n %% 8] || ' again'),
       'agent-' || (n %% 20),
       CASE WHEN n %% 3 = 0 THEN 'team-' || (n %% 5) END,
       'user-' || (n %% 50000),
       jsonb_build_array('topic-' || (n %% 30), 'topic-' || ((n / 30) %% 30)),
       1700000000 + n * 30,
       1700000000 + n * 30 + (n %% 1000)
FROM generate_series(1, %(count)s) AS n
"""

SEED_RECORDS = """
INSERT INTO memories_memorydeletion
    (deleted_at, actor, channel, db_id, table_name, memory_ids, user_ids, count, request_id)
SELECT now() - n * interval '30 seconds',
       CASE WHEN n %% 100 = 0 THEN 'admin-' || (n %% 7) ELSE 'user-' || (n %% 50000) END,
       CASE WHEN n %% 1000 = 0 THEN 'retention' WHEN n %% 100 = 0 THEN 'admin' ELSE 'api' END,
       (ARRAY['default', 'agno', 'pg'])[1 + n %% 3],
       'agno_memories',
       jsonb_build_array(md5('memory' || n)::uuid::text),
       jsonb_build_array('user-' || (n %% 50000)),
       1,
       md5('request' || n)
FROM generate_series(1, %(count)s) AS n
"""


def requests_timed(memory_id: str) -> list[tuple[str, str, str]]:
    """(name, path, who): "token" for the API's admin token, "admin" for the signed-in admin."""
    # A month the audit records span (they go back about a year from their seeding).
    a_month = datetime.datetime.now(datetime.UTC) - datetime.timedelta(days=60)
    return [
        (API_LIST, "/memories?limit=20", "token"),
        ("api list, one user", "/memories?limit=20&user_id=user-7", "token"),
        ("admin first page", CHANGELIST, "admin"),
        ("admin page 5000", f"{CHANGELIST}?p=5000", "admin"),
        ("admin by agent", f"{CHANGELIST}?agent_id=agent-3", "admin"),
        ("admin by topic", f"{CHANGELIST}?topic=topic-7", "admin"),
        ("admin searched", f"{CHANGELIST}?q=hiking", "admin"),
        ("admin change form", f"{CHANGELIST}{memory_id}/change/", "admin"),
        ("memory_topics", "/memory_topics", "token"),
        ("user_memory_stats", "/user_memory_stats", "token"),
        ("user_memory_stats, a page not kept", "/user_memory_stats?page={unseen}", "token"),
        ("audit first page", AUDIT, "admin"),
        ("audit page 5000", f"{AUDIT}?p=5000", "admin"),
        ("audit by channel", f"{AUDIT}?channel__exact=retention", "admin"),
        ("audit by actor", f"{AUDIT}?actor=admin-3", "admin"),
        ("audit by db_id", f"{AUDIT}?db_id=agno", "admin"),
        (
            "audit in a month",
            f"{AUDIT}?deleted_at__year={a_month:%Y}&deleted_at__month={a_month.month}",
            "admin",
        ),
    ]


def environment(
    key: str, folder: Path, checkout: Path, database: str, cache_url: str | None
) -> dict[str, str]:
    env = clean_environment()
    if cache_url:
        env["AGENTOS_CACHE_URL"] = cache_url
    env.update(
        DATABASE_URL=f"{PG_SERVER}/{database}",
        AGENTOS_JWT_SIGNING_KEY=key,
        DJANGO_SECRET_KEY=secrets.token_urlsafe(48),
        AGENTOS_DEV_SECRETS="off",
        DJANGO_STATIC_ROOT=str(folder / checkout.name / "static"),
        # The checkout's own code, whichever one the virtualenv has installed.
        PYTHONPATH=str(checkout),
        WEB_CONCURRENCY="2",
    )
    return env


def shared_cache(url: str | None, index: int) -> str | None:
    """The index-th Redis database at url, emptied: one server's own (None: a cache per
    worker)."""
    if not url:
        return None
    database = f"{url.rstrip('/')}/{index}"
    subprocess.run(["redis-cli", "-u", database, "FLUSHDB"], check=True, capture_output=True)
    return database


def manage(env: dict[str, str], checkout: Path, *args: str) -> None:
    subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=checkout,
        env=env,
        check=True,
        capture_output=True,
    )


def seeded(env: dict[str, str], database: str, count: int, records: int, reseed: bool) -> str:
    """The database migrated and holding `count` memories and `records` deletion records; one
    of the memories' ids."""
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        exists = connection.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
        if exists.fetchone() is None:
            connection.execute(f'CREATE DATABASE "{database}"')
    manage(env, ROOT, "migrate", "--noinput")
    with psycopg.connect(f"{PG_SERVER}/{database}", autocommit=True) as connection:
        present = connection.execute("SELECT count(*) FROM agno_memories").fetchone()[0]  # type: ignore[index]
        if reseed or present != count:
            print(f"seeding {count} memories...", file=sys.stderr)
            connection.execute("TRUNCATE agno_memories")
            connection.execute(SEED, {"count": count})
            connection.execute("VACUUM ANALYZE agno_memories")
        trail = "memories_memorydeletion"
        present = connection.execute(f"SELECT count(*) FROM {trail}").fetchone()[0]  # type: ignore[index]
        if reseed or present != records:
            print(f"seeding {records} deletion records...", file=sys.stderr)
            connection.execute(f"TRUNCATE {trail}")
            connection.execute(SEED_RECORDS, {"count": records})
            connection.execute(f"VACUUM ANALYZE {trail}")
        row = connection.execute("SELECT memory_id FROM agno_memories LIMIT 1").fetchone()
    return str(row[0])  # type: ignore[index]


def signed_in(base: str) -> requests.Session:
    http = requests.Session()
    http.get(f"{base}/admin/login/", timeout=60)
    response = http.post(
        f"{base}/admin/login/",
        data={
            "username": ADMIN_USER,
            "password": ADMIN_PASSWORD,
            "csrfmiddlewaretoken": http.cookies["csrftoken"],
            "next": "/admin/",
        },
        headers={"Referer": f"{base}/admin/login/"},
        timeout=60,
    )
    assert "sessionid" in http.cookies, response.text[:2000]
    return http


@contextlib.contextmanager
def served(checkout: Path, env: dict[str, str], folder: Path) -> Iterator[str]:
    manage(env, checkout, "collectstatic", "--noinput")
    with serving(
        lambda port: [str(checkout / "bin" / "serve")],
        env,
        folder / f"{checkout.name}.log",
        ready_path="/health",
        processes=3,  # the parent and both workers
        log_output=False,
        cwd=checkout,
    ) as started:
        yield started.base


def timed_get(http: requests.Session, url: str, headers: dict[str, str]) -> float:
    start = time.perf_counter()
    response = http.get(url, headers=headers, timeout=600)
    elapsed = time.perf_counter() - start
    assert response.status_code == 200, f"{url}: {response.status_code} {response.text[:500]}"
    return 1000 * elapsed


def timed_floor(database: str) -> float:
    with psycopg.connect(f"{PG_SERVER}/{database}", autocommit=True) as connection:
        start = time.perf_counter()
        connection.execute(PLAIN_GROUP_BY).fetchall()
        return 1000 * (time.perf_counter() - start)


def offers_facets(http: requests.Session, base: str) -> bool:
    page = http.get(f"{base}{CHANGELIST}", timeout=600).text
    return "_facets=True" in page


def measure(
    args: argparse.Namespace, folder: Path
) -> dict[str, dict[str, dict[str, list[float]]]]:
    key = secrets.token_urlsafe(48)
    checkouts = {"this": ROOT, **({"baseline": args.baseline.resolve()} if args.baseline else {})}
    envs = {
        name: environment(key, folder, path, args.database, shared_cache(args.cache_url, index))
        for index, (name, path) in enumerate(checkouts.items())
    }
    memory_id = seeded(envs["this"], args.database, args.memories, args.records, args.reseed)
    creating = "from django.contrib.auth.models import User; User.objects.filter(username=%r)"
    creating += ".delete(); User.objects.create_superuser(%r, 'bench@example.com', %r)"
    manage(envs["this"], ROOT, "shell", "-c", creating % (ADMIN_USER, ADMIN_USER, ADMIN_PASSWORD))
    bearer = {"Authorization": f"Bearer {token(key, 'operator', admin=True)}"}
    plan = requests_timed(memory_id)
    timed = [what for what, _, _ in plan] + [FLOOR]
    times: dict[str, dict[str, list[float]]] = {
        name: {what: [] for what in timed} for name in checkouts
    }
    ratios: dict[str, dict[str, list[float]]] = {
        name: {what: [] for what in timed} for name in checkouts
    }
    unseen = iter(range(1000, 2500))  # pages of 20 of the 50,000 users, each asked once
    with contextlib.ExitStack() as stack:
        bases = {
            name: stack.enter_context(served(path, envs[name], folder))
            for name, path in checkouts.items()
        }
        sessions = {name: signed_in(base) for name, base in bases.items()}
        for name, base in bases.items():
            print(f"{name}: offers facets: {offers_facets(sessions[name], base)}", file=sys.stderr)
            # Both workers warmed: imports, connections, and whatever each process caches.
            for _ in range(args.warm):
                for _what, path, who in plan:
                    url = base + path.format(unseen=next(unseen))
                    timed_get(sessions[name], url, bearer if who == "token" else {})
        for round_ in range(args.rounds):
            time.sleep(args.pause)
            # Each server first in every other round: the first after a pause finds the
            # machine idle and its connections cold.
            served_in_turn = list(bases.items())[:: 1 if round_ % 2 == 0 else -1]
            for name, base in served_in_turn:
                page = next(unseen)
                measured = {
                    what: timed_get(
                        sessions[name],
                        base + path.format(unseen=page),
                        bearer if who == "token" else {},
                    )
                    for what, path, who in plan
                }
                measured[FLOOR] = timed_floor(args.database)
                for what, ms in measured.items():
                    times[name][what].append(ms)
                    ratios[name][what].append(ms / measured[API_LIST])
                print(f"round {round_ + 1} {name}: {measured}", file=sys.stderr)
    return {"times": times, "ratios": ratios}


def report(results: dict[str, dict[str, dict[str, list[float]]]]) -> str:
    times, ratios = results["times"], results["ratios"]
    names = list(times)
    head = "| request | " + " | ".join(
        f"{n}: ms, median (min-max) | {n}: x API list" for n in names
    )
    lines = [head + " |", "|---" * (1 + 2 * len(names)) + "|"]
    for what in times[names[0]]:
        cells = []
        for name in names:
            values = times[name][what]
            cells.append(f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})")
            cells.append(f"{statistics.median(ratios[name][what]):.2f}")
        lines.append(f"| {what} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--memories", type=int, default=1_000_000)
    parser.add_argument("--records", type=int, default=1_000_000, help="Deletion records.")
    parser.add_argument("--rounds", type=int, default=5, help="Rounds of every request.")
    parser.add_argument("--warm", type=int, default=2, help="Warm-up rounds, not timed.")
    parser.add_argument("--reseed", action="store_true", help="Seed again even if seeded.")
    parser.add_argument(
        "--database", default=DATABASE, help="The PostgreSQL database seeded and served."
    )
    parser.add_argument(
        "--pause",
        type=float,
        default=0,
        help="Seconds before each round: past AGGREGATE_CACHE_SECONDS (60), each round finds "
        "the kept topics, choices and statistics expired.",
    )
    parser.add_argument(
        "--baseline", type=Path, help="A checkout of another commit, served interleaved."
    )
    parser.add_argument(
        "--cache-url",
        help="redis://HOST:PORT of a Redis of the benchmark's own: each server's workers share "
        "a cache there (databases 0 and 1, emptied), instead of one cache per worker.",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        print(report(measure(args, Path(folder))))


if __name__ == "__main__":
    main()
