"""What looking one table up costs as a database holds more tables: Django's introspection
(`name in connection.introspection.table_names()`, every table listed) against
memories/table_presence.py (the one name asked for), on PostgreSQL and MariaDB.

For each engine and each count of tables, a fresh database holds the memory table and that
many more (each with a primary key and a text column, as a host's apps make them). The two
ways then alternate (A, B, B, A, A, B...) over `--rounds` rounds of `--lookups` lookups each, on
one open connection, as an erasure's or an export's check runs. Prints, per engine and
count, each way's median (min-max) time per lookup over the rounds, and the median (min-max)
of the ratio within each round.

    .venv/bin/python bench/table_checks.py --tables 0,300,3000 --rounds 7
"""

import argparse
import statistics
import sys
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

DATABASE = "agentos_bench_table_checks"
SERVERS = {
    "postgresql": {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": DATABASE,
        "USER": "postgres",
        "HOST": "127.0.0.1",
        "PORT": "5432",
    },
    "mysql": {
        "ENGINE": "django.db.backends.mysql",
        "NAME": DATABASE,
        "USER": "root",
        "HOST": "127.0.0.1",
        "PORT": "3306",
    },
}
TABLE = "agno_memories"


def fresh_database(vendor: str) -> None:
    """Drop and make the benchmark's database, from a connection to the server's own."""
    import MySQLdb  # type: ignore[import-untyped]
    import psycopg

    if vendor == "postgresql":
        with psycopg.connect("host=127.0.0.1 user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
            c.execute(f"CREATE DATABASE {DATABASE}")
        return
    server = MySQLdb.connect(host="127.0.0.1", user="root")
    try:
        cursor = server.cursor()
        cursor.execute(f"DROP DATABASE IF EXISTS {DATABASE}")
        cursor.execute(f"CREATE DATABASE {DATABASE}")
    finally:
        server.close()


def add_tables(alias: str, first: int, last: int) -> None:
    """Tables bench_table_{first}..{last - 1}, a transaction per hundred (PostgreSQL's locks
    per transaction are bounded)."""
    from django.db import connections, transaction

    for start in range(first, last, 100):
        with transaction.atomic(using=alias), connections[alias].cursor() as cursor:
            for number in range(start, min(start + 100, last)):
                cursor.execute(
                    f"CREATE TABLE bench_table_{number} (id INTEGER PRIMARY KEY, value TEXT)"
                )


def listed(connection: Any, cursor: Any) -> bool:
    """Django's way: every table listed, the name looked for among them."""
    return TABLE in connection.introspection.table_names(cursor)


def per_lookup(lookup: Callable[[], bool], lookups: int) -> float:
    """Seconds per lookup, over `lookups` of them."""
    started = time.perf_counter()
    for _ in range(lookups):
        assert lookup()
    return (time.perf_counter() - started) / lookups


def spread(values: list[float], scale: float = 1.0, digits: int = 2) -> str:
    return (
        f"{statistics.median(values) * scale:.{digits}f}"
        f" ({min(values) * scale:.{digits}f}-{max(values) * scale:.{digits}f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default="0,300,3000", help="Counts of tables beside it.")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--lookups", type=int, default=20, help="Lookups per way per round.")
    args = parser.parse_args()
    counts = sorted(int(count) for count in args.tables.split(","))

    import django
    from django.conf import settings

    settings.configure(DATABASES={"default": {}, **SERVERS}, USE_TZ=True)
    django.setup()
    from django.db import connections

    from memories.table_presence import table_exists

    for vendor in SERVERS:
        connections[vendor].close()
        fresh_database(vendor)
        connection = connections[vendor]
        with connection.cursor() as cursor:
            cursor.execute(f"CREATE TABLE {TABLE} (memory_id VARCHAR(255) PRIMARY KEY)")
            cursor.execute("SELECT version()")
            print(f"{vendor}: {cursor.fetchone()[0]}")
        made = 0
        for count in counts:
            add_tables(vendor, made, count)
            made = count
            introspected, asked, ratios = [], [], []
            with connection.cursor() as cursor:
                by_listing = partial(listed, connection, cursor)
                by_name = partial(table_exists, connection, cursor, TABLE)
                for round_number in range(args.rounds):
                    # Each way goes first in every other round: neither always finds the
                    # catalog as the other left it.
                    if round_number % 2:
                        named = per_lookup(by_name, args.lookups)
                        listing = per_lookup(by_listing, args.lookups)
                    else:
                        listing = per_lookup(by_listing, args.lookups)
                        named = per_lookup(by_name, args.lookups)
                    introspected.append(listing)
                    asked.append(named)
                    ratios.append(named / listing)
            print(
                f"{vendor}, {count + 1} tables: introspection {spread(introspected, 1000)} ms,"
                f" by name {spread(asked, 1000)} ms a lookup;"
                f" by name / introspection {spread(ratios, digits=3)}"
            )
        connection.close()
        fresh_database(vendor)


if __name__ == "__main__":
    main()
