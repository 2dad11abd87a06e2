"""Reading the host project's configuration from environment variables and its `.env` file."""

import json
import os
import shlex
import sys
from pathlib import Path
from typing import Any

import dj_database_url
import environ  # type: ignore[import-untyped]  # django-environ ships no types
from django.core.exceptions import ImproperlyConfigured

# Names the env file to read instead of the repository's `.env`; empty reads none.
ENV_FILE_VARIABLE = "AGENTOS_ENV_FILE"


def read_env_file(default: Path) -> Path | None:
    """Add the variables of the env file that the environment does not set; the file read.

    The file is AGENTOS_ENV_FILE, else `default` when it exists. The server (bin/serve) and
    every `manage.py` command read the same one, so they see the same databases and keys;
    a variable set in the environment wins over the file.
    """
    named = os.environ.get(ENV_FILE_VARIABLE)
    if named is None:
        if not default.is_file():
            return None
        path = default
    elif not named:
        return None
    else:
        path = Path(named)
        if not path.is_file():
            raise ImproperlyConfigured(f"{ENV_FILE_VARIABLE}: no file at {named}")
    environ.Env.read_env(path)
    return path


def cache(url: str, timeout: float = 0.25) -> dict[str, Any]:
    """A CACHES entry for a URL: `redis://host:port/db` is Django's own Redis backend,
    `locmemcache://` a cache of one process. A Redis that is down or stalled costs each
    operation at most `timeout` seconds (connecting, then each reply): the throttle then
    lets requests through (or refuses them, failing closed) instead of waiting for good."""
    config: dict[str, Any] = environ.Env.cache_url_config(url)
    if config["BACKEND"] == "django.core.cache.backends.redis.RedisCache":
        config.setdefault("OPTIONS", {}).update(
            socket_connect_timeout=timeout, socket_timeout=timeout
        )
    return config


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def database(url: str) -> dict[str, Any]:
    """A DATABASES entry for a URL, with persistent, health-checked connections (under WSGI:
    served by ASGI, Django runs each request's database work in a thread of asgiref's pool,
    and a persistent connection per such thread piles up; there a connection lasts a
    request, as Django's documentation advises)."""
    served_by_asgi = os.environ.get("AGENTOS_INTERFACE") == "asgi"
    config: dict[str, Any] = dict(
        dj_database_url.parse(
            url, conn_max_age=0 if served_by_asgi else 600, conn_health_checks=True
        )
    )
    engine = config["ENGINE"]
    if engine == "django.db.backends.postgresql":
        # Django's engine with a health check that adds no round trip to each request.
        config["ENGINE"] = "memories.db.postgresql"
        # Behind a pooler in transaction mode (PgBouncer), a server-side cursor's next fetch
        # may reach another server connection. The app opens none; Django's own iterator()
        # users (the admin's permission choices) read client-side instead.
        config["DISABLE_SERVER_SIDE_CURSORS"] = True
    elif engine.endswith("sqlite3"):
        # Many server workers write one file: WAL, a busy timeout, writes that take the
        # lock when they begin instead of failing midway with "database is locked".
        config["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    elif engine.endswith("mysql"):
        config["OPTIONS"] = {"charset": "utf8mb4"}
    return config


def metrics_path(value: str) -> str | None:
    """Where the metrics are served: a path, or None for `off` (or empty)."""
    value = value.strip()
    if value.lower() in ("", "off"):
        return None
    return value if value.startswith("/") else f"/{value}"


def seconds_or_off(value: str, default: float) -> float | None:
    """A number of seconds, None for `off`, the default when empty."""
    value = value.strip()
    if not value:
        return default
    return None if value.lower() == "off" else float(value)


def pairs(name: str) -> list[tuple[str, str]]:
    """`key=value` pairs of a comma-separated variable, e.g. `pg=postgres://...,my=mysql://...`."""
    result = []
    for item in env_list(name):
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise ImproperlyConfigured(f"{name}: expected key=value, got {item!r}")
        result.append((key.strip(), value.strip()))
    return result


def memory_databases(name: str) -> dict[str, str]:
    """db_id -> URL from the variable; `default` is reserved for DATABASE_URL."""
    databases: dict[str, str] = {}
    for db_id, url in pairs(name):
        if db_id == "default" or db_id in databases:
            raise ImproperlyConfigured(f"{name}: db_id {db_id!r} is reserved or repeated")
        databases[db_id] = url
    return databases


def memory_tables(name: str) -> dict[str, list[str]]:
    """db_id -> its tables, in order, from repeated `db_id=table` pairs."""
    tables: dict[str, list[str]] = {}
    for db_id, table in pairs(name):
        tables.setdefault(db_id, []).append(table)
    return tables


def secret(name: str, dev_file: os.PathLike[str] | str) -> str | None:
    """A secret from the environment, else from the development file `make run` created
    (unless AGENTOS_DEV_SECRETS=off, as a production environment should set)."""
    value = os.environ.get(name)
    if value:
        return value
    if os.environ.get("AGENTOS_DEV_SECRETS") == "off":
        return None
    try:
        with open(dev_file) as file:
            return file.read().strip() or None
    except FileNotFoundError:
        return None


def json_list(name: str) -> list[Any]:
    """A JSON list from the environment (empty when unset). What its items must be is the
    setting's own check (manage.py check)."""
    value = os.environ.get(name, "").strip()
    if not value:
        return []
    try:
        parsed = json.loads(value)
    except ValueError as error:
        raise ImproperlyConfigured(f"{name}: not valid JSON ({error})") from None
    if not isinstance(parsed, list):
        raise ImproperlyConfigured(f"{name}: expected a JSON list, got {type(parsed).__name__}")
    return parsed


def shell_exports(names: list[str]) -> str:
    """`export NAME=value` lines for those of names that the env file sets and the
    environment does not: how bin/serve reads its own variables (HOST, PORT, ...) from the
    same file as the settings."""
    before = set(os.environ)
    read_env_file(Path(__file__).resolve().parent.parent / ".env")
    return "".join(
        f"export {name}={shlex.quote(os.environ[name])}\n"
        for name in names
        if name in os.environ and name not in before
    )


if __name__ == "__main__":
    sys.stdout.write(shell_exports(sys.argv[1:]))
