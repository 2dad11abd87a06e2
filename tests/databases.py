"""Scratch PostgreSQL databases for tests that run the project as a separate server."""

import os
from collections.abc import Iterator
from contextlib import contextmanager

import psycopg

PG_SERVER = "postgres://postgres@127.0.0.1:5432"


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
