"""Settings for the test suite: default SQLite plus memory databases on three engines.

PostgreSQL and MariaDB are always configured (addresses in tests/databases.py); which of them
answer is asked once per session by tests/conftest.py, never here.
"""

import os
import tempfile
from typing import Any

import dj_database_url

from tests.databases import MARIADB_URL, POSTGRES_URL

SECRET_KEY = "tests-only-secret-key-not-for-production-use-0123456789"
DEBUG = False
USE_TZ = True
TIME_ZONE = "UTC"
ROOT_URLCONF = "tests.urls"
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "memories",
]
MIDDLEWARE = [
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
]
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]
STATIC_URL = "static/"

# Lets concurrent test runs on one machine use test databases of their own.
TEST_DB_NAME = "test_agentos_memories" + os.environ.get("AGENTOS_TEST_DB_SUFFIX", "")


def _sqlite(alias: str) -> dict[str, Any]:
    """An SQLite database whose test copy is a file that several connections write at once.

    Django's in-memory test database has a shared cache, where a connection meeting another's
    lock fails at once ("database table is locked"), so threads could not write concurrently.
    The options are the bundled project's: WAL, a busy timeout, writes that take the lock
    when their transaction begins; synchronous=OFF as a test database needs no durability.
    """
    path = os.path.join(tempfile.gettempdir(), f"{TEST_DB_NAME}_{alias}_{os.getpid()}.sqlite3")
    return {
        "ENGINE": "django.db.backends.sqlite3",
        "NAME": ":memory:",
        "OPTIONS": {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=OFF",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        },
        "TEST": {"NAME": path},
    }


def _with_psycopg2() -> None:
    """Django's PostgreSQL engine bound to psycopg2, as in a host that installs only psycopg2;
    psycopg 3 stays importable for the tests' own tools (Django picks psycopg 3 when both are
    installed, when its engine is first imported)."""
    import importlib
    import sys

    psycopg3 = sys.modules.get("psycopg")
    sys.modules["psycopg"] = None  # type: ignore[assignment]
    try:
        for module in ("base", "creation", "features", "introspection", "operations", "schema"):
            importlib.import_module(f"django.db.backends.postgresql.{module}")
    finally:
        if psycopg3 is None:
            del sys.modules["psycopg"]
        else:
            sys.modules["psycopg"] = psycopg3


# `make test` runs a part of the suite again on psycopg2, the driver many hosts still run.
if os.environ.get("AGENTOS_TEST_PG_DRIVER") == "psycopg2":
    _with_psycopg2()


def _postgres(test_name: str) -> dict[str, Any]:
    """Django's stock PostgreSQL engine, as hosts run it (tests/db/ tests the app's own)."""
    config = dict(dj_database_url.parse(POSTGRES_URL, conn_health_checks=True))
    config["TEST"] = {"NAME": test_name}
    return config


def _mariadb() -> dict[str, Any]:
    config = dict(dj_database_url.parse(MARIADB_URL))
    # MariaDB's usual collation ignores case, as in many Agno deployments: the tests prove
    # ownership stays exact anyway.
    config["OPTIONS"] = {"charset": "utf8mb4"}
    config["TEST"] = {
        "NAME": TEST_DB_NAME,
        "CHARSET": "utf8mb4",
        "COLLATION": "utf8mb4_general_ci",
    }
    return config


# Every engine is configured; tests/conftest.py removes, once per session and before any test
# database is made, the aliases whose server does not answer.
DATABASES: dict[str, dict[str, Any]] = {
    "default": _sqlite("default"),
    "lite": _sqlite("lite"),
    "pg": _postgres(TEST_DB_NAME),
    "maria": _mariadb(),
}
# `make test` runs the suite again with PostgreSQL as default: memories and audit records in
# one database, where one statement deletes and writes the record.
if os.environ.get("AGENTOS_TEST_DEFAULT_DB") == "postgres":
    DATABASES["default"] = _postgres(TEST_DB_NAME + "_default")

DATABASE_ROUTERS = ["memories.routers.MemoryRouter"]

HS256_KEY = "tests-hs256-signing-key-that-is-long-enough-for-sha256-0123456789"

# db_id -> alias: the same name, so tests read like the API calls they make. No SIMPLE_JWT:
# the app's tokens have settings of their own, and the host's simplejwt keeps its defaults.
MEMORIES: dict[str, Any] = {
    "DATABASES": {db_id: db_id for db_id in DATABASES},
    "TABLES": {
        "lite": ["agno_memories", "missing_memories"],
        "pg": ["agno_memories", "ai.agno_memories"],
    },
    "JWT_ALGORITHM": "HS256",
    "JWT_SIGNING_KEY": HS256_KEY,
}

# As a host that never configured drf-spectacular: no DEFAULT_SCHEMA_CLASS, no
# SPECTACULAR_SETTINGS; memories.docs_urls documents the API all the same.
REST_FRAMEWORK: dict[str, Any] = {"UNAUTHENTICATED_USER": None}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"memories": {"handlers": ["console"], "level": "INFO", "propagate": True}},
}
