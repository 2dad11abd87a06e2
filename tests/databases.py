"""Where the database servers of the tests and the benchmark are: every address in one place,
from the environment with loopback defaults, and whether a server answers (asked once)."""

import functools
import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import urlsplit

import psycopg

POSTGRES_URL = os.environ.get(
    "AGENTOS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/agentos_memories"
)
MARIADB_URL = os.environ.get(
    "AGENTOS_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/agentos_memories"
)
# Database 5: a test that flushes it leaves a developer's other databases alone.
REDIS_URL = os.environ.get("AGENTOS_TEST_REDIS_URL", "redis://127.0.0.1:6379/5")
# CI sets it: a server that does not answer is then an error, not skipped tests.
REQUIRE_SERVERS = os.environ.get("AGENTOS_TEST_REQUIRE_SERVERS") == "1"

# Where the Redis server is, to ask whether it answers.
_redis = urlsplit(REDIS_URL)
REDIS_ADDRESS = (_redis.hostname or "127.0.0.1", _redis.port or 6379)

# The PostgreSQL server without a database name, for scratch databases made on it.
PG_SERVER = POSTGRES_URL.rsplit("/", 1)[0]

DEFAULT_PORTS = {"postgresql": 5432, "mysql": 3306}


@functools.cache
def server_answers(host: str, port: int) -> bool:
    """Whether something listens there; asked once per process, when a test needs to know."""
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def server_address(config: dict[str, Any]) -> tuple[str, int] | None:
    """(host, port) of a DATABASES entry's server; None for SQLite, which has none."""
    engine = config["ENGINE"].rsplit(".", 1)[-1]
    if engine not in DEFAULT_PORTS:
        return None
    return config.get("HOST") or "127.0.0.1", int(config.get("PORT") or DEFAULT_PORTS[engine])


@contextmanager
def scratch_postgres_database(prefix: str) -> Iterator[str]:
    """A new, empty database (suffixed like the test databases), dropped afterwards."""
    name = prefix + os.environ.get("AGENTOS_TEST_DB_SUFFIX", "")
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_mariadb_database(prefix: str) -> Iterator[str]:
    """A new, empty MariaDB database (suffixed like the test databases), dropped afterwards;
    its URL is yielded."""
    import MySQLdb  # type: ignore[import-untyped]

    name = prefix + os.environ.get("AGENTOS_TEST_DB_SUFFIX", "")
    address = urlsplit(MARIADB_URL)
    server = {
        "host": address.hostname or "127.0.0.1",
        "port": address.port or 3306,
        "user": address.username or "root",
        "password": address.password or "",
    }
    connection = MySQLdb.connect(**server)
    try:
        connection.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
        connection.cursor().execute(f"CREATE DATABASE `{name}` CHARACTER SET utf8mb4")
        try:
            yield address._replace(path=f"/{name}").geturl()
        finally:
            connection.cursor().execute(f"DROP DATABASE IF EXISTS `{name}`")
    finally:
        connection.close()
