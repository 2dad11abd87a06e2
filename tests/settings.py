"""Settings for the test suite: default SQLite plus memory databases on three engines.

PostgreSQL and MariaDB join when their servers answer; AGENTOS_TEST_REQUIRE_SERVERS=1
(set by CI) turns an unreachable server into an error instead of skipped tests.
"""

import os
import socket
import tempfile
from typing import Any
from urllib.parse import urlsplit

import dj_database_url

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

PG_URL = os.environ.get(
    "AGENTOS_TEST_POSTGRES_URL", "postgres://postgres@127.0.0.1:5432/agentos_memories"
)
MARIADB_URL = os.environ.get(
    "AGENTOS_TEST_MARIADB_URL", "mysql://root@127.0.0.1:3306/agentos_memories"
)
# The app's PostgreSQL engine: Django's, with a health check that costs no round trip.
PG_ENGINE = "memories.db.postgresql"
REQUIRE_SERVERS = os.environ.get("AGENTOS_TEST_REQUIRE_SERVERS") == "1"
# Lets concurrent test runs on one machine use test databases of their own.
TEST_DB_NAME = "test_agentos_memories" + os.environ.get("AGENTOS_TEST_DB_SUFFIX", "")


def _reachable(url: str) -> bool:
    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port), timeout=1):
            return True
    except OSError:
        if REQUIRE_SERVERS:
            raise RuntimeError(f"test database server unreachable: {url}") from None
        return False


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


DATABASES: dict[str, dict[str, Any]] = {"default": _sqlite("default"), "lite": _sqlite("lite")}
if _reachable(PG_URL):
    DATABASES["pg"] = dict(
        dj_database_url.parse(PG_URL, engine=PG_ENGINE, conn_health_checks=True)
    )
    DATABASES["pg"]["TEST"] = {"NAME": TEST_DB_NAME}
    # `make test` runs the suite again with PostgreSQL as default: memories and audit
    # records in one database, where one statement deletes and writes the record.
    if os.environ.get("AGENTOS_TEST_DEFAULT_DB") == "postgres":
        DATABASES["default"] = dict(
            dj_database_url.parse(PG_URL, engine=PG_ENGINE, conn_health_checks=True)
        )
        DATABASES["default"]["TEST"] = {"NAME": TEST_DB_NAME + "_default"}
if _reachable(MARIADB_URL):
    DATABASES["maria"] = dict(dj_database_url.parse(MARIADB_URL))
    # MariaDB's usual collation ignores case, as in many Agno deployments: the tests
    # prove ownership stays exact anyway.
    DATABASES["maria"]["OPTIONS"] = {"charset": "utf8mb4"}
    DATABASES["maria"]["TEST"] = {
        "NAME": TEST_DB_NAME,
        "CHARSET": "utf8mb4",
        "COLLATION": "utf8mb4_general_ci",
    }

DATABASE_ROUTERS = ["memories.routers.MemoryRouter"]

# db_id -> alias: the same name, so tests read like the API calls they make.
MEMORY_DB_IDS = list(DATABASES)
MEMORIES = {
    "DATABASES": {db_id: db_id for db_id in MEMORY_DB_IDS},
    "TABLES": {
        "lite": ["agno_memories", "missing_memories"],
        "pg": ["agno_memories", "ai.agno_memories"],
    },
}

HS256_KEY = "tests-hs256-signing-key-that-is-long-enough-for-sha256-0123456789"
SIMPLE_JWT = {
    "ALGORITHM": "HS256",
    "SIGNING_KEY": HS256_KEY,
    "AUTH_HEADER_TYPES": ("Bearer",),
}

# As a host that never configured drf-spectacular: no DEFAULT_SCHEMA_CLASS, no
# SPECTACULAR_SETTINGS; memories.docs_urls documents the API all the same.
REST_FRAMEWORK = {"UNAUTHENTICATED_USER": None}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"memories": {"handlers": ["console"], "level": "INFO", "propagate": True}},
}
