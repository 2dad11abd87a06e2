"""Fixtures: real signed tokens, an API client, and the memory databases."""

import gc
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import jwt
import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connections
from rest_framework.test import APIClient

from memories.conf import memories_settings
from memories.exception_handlers import database_failures
from memories.export_streams import export_slots
from memories.summaries import wait_for_refreshes
from memories.targets import memory_model
from memories.throttling import SubjectRateThrottle
from memories.verified_tokens import verified_tokens
from tests.databases import REDIS_ADDRESS, REQUIRE_SERVERS, server_address, server_answers

ALL_DB_IDS = ["default", "lite", "pg", "maria"]
SERVER_DB_IDS = {"pg": "PostgreSQL", "maria": "MariaDB"}


def pytest_sessionstart(session: pytest.Session) -> None:
    """Leave out the databases whose server does not answer, before pytest-django makes any
    test database: their tests skip (require_db_id, require_redis), or, where CI requires every
    server (AGENTOS_TEST_REQUIRE_SERVERS=1), the run stops here naming them."""
    addresses = {alias: server_address(config) for alias, config in settings.DATABASES.items()}
    down = {
        alias: address
        for alias, address in addresses.items()
        if address is not None and not server_answers(*address)
    }
    unreachable = {**down, "redis": REDIS_ADDRESS} if not server_answers(*REDIS_ADDRESS) else down
    if unreachable and (REQUIRE_SERVERS or "default" in down):
        where = ", ".join(f"{name} ({host}:{port})" for name, (host, port) in unreachable.items())
        pytest.exit(f"test server unreachable: {where}", pytest.ExitCode.USAGE_ERROR)
    for alias in down:
        del settings.DATABASES[alias]  # the dict django.db.connections reads
        settings.MEMORIES["DATABASES"].pop(alias)
        settings.MEMORIES["TABLES"].pop(alias, None)
    memories_settings.reload()


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """A test whose django_db marker names a database left out above skips before
    pytest-django looks for that database (which would be an error)."""
    marker = item.get_closest_marker("django_db")
    databases = marker.kwargs.get("databases") if marker else None
    if isinstance(databases, list | tuple | set):
        for alias in databases:
            require_db_id(alias)


@pytest.fixture(autouse=True)
def forget_verified_tokens() -> None:
    """Each test starts with no token remembered (tests/test_verified_tokens.py tests it)."""
    verified_tokens.clear()


@pytest.fixture(autouse=True)
def free_export_slots() -> Iterator[None]:
    """Django's test client closes a streamed response only once it is read to its end (a
    real server always closes it): an export a test leaves unread gives its place back when
    collected, as in a server (collected here, so the next test starts with every place)."""
    yield
    if export_slots.running:
        gc.collect()


@pytest.fixture(autouse=True)
def forget_summaries() -> Iterator[None]:
    """Each test reads tables afresh: summaries kept by another test's rows are gone, and no
    refresh a test started reads on into the next."""
    cache.clear()
    yield
    wait_for_refreshes(timeout=30)


@pytest.fixture(autouse=True)
def forget_database_failures() -> None:
    """Each test sees a failing database's traceback the first time, as a fresh process."""
    database_failures._traced.clear()


def require_db_id(db_id: str) -> None:
    """Skip a test whose database server is not running (left out by pytest_sessionstart)."""
    if db_id not in settings.DATABASES:
        pytest.skip(f"{SERVER_DB_IDS.get(db_id, db_id)} is not reachable")


def require_redis() -> None:
    """Skip a test that needs the shared Redis server when it is not running."""
    if not server_answers(*REDIS_ADDRESS):
        pytest.skip("Redis is not reachable")


@pytest.fixture(params=ALL_DB_IDS)
def db_id(request: pytest.FixtureRequest) -> str:
    """Each configured db_id in turn: two SQLite databases, PostgreSQL and MariaDB."""
    require_db_id(request.param)
    return str(request.param)


# Two ways a configured memory database is down, for real: nothing listens on its port, or
# its server answers but holds no such database.
DOWN = {"closed port": {"PORT": "9"}, "missing database": {"NAME": "agentos_memories_missing"}}


@contextmanager
def database_down(alias: str, **broken_settings: str) -> Iterator[None]:
    """Point an alias at a server or database that is not there, then restore it."""
    connection = connections[alias]
    saved = {key: connection.settings_dict[key] for key in broken_settings}
    connection.close()
    connection.settings_dict.update(broken_settings)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@pytest.fixture
def ai_table_emptied() -> Iterator[None]:
    """Agno's table in schema `ai` is no table of Django's: a transactional test's flush
    leaves its rows, before the test (another's) and after it."""
    require_db_id("pg")
    rows = memory_model(connections["pg"], "ai.agno_memories")._default_manager.using("pg")
    rows.all().delete()
    yield
    rows.all().delete()


@contextmanager
def connection_ended(alias: str) -> Iterator[None]:
    """PostgreSQL's server ends alias's open connection, for real (a restart, a failover, an
    administrator), in a host that keeps its connections (CONN_MAX_AGE) without health checks
    (CONN_HEALTH_CHECKS, off by Django's default): the next statement on it fails, and so
    does each later one until Django replaces the connection (the test client's requests
    leave that to the block's end). Closed, and checked again as configured, after.
    """
    require_db_id(alias)
    connection = connections[alias]
    saved = connection.settings_dict["CONN_HEALTH_CHECKS"]
    # Read when the connection is made.
    connection.close()
    connection.settings_dict["CONN_HEALTH_CHECKS"] = False
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            (pid,) = cursor.fetchone()
        # Another connection ends it, and waits (up to 5 s) until its backend has exited.
        ender = connections.create_connection(alias)
        try:
            with ender.cursor() as cursor:
                cursor.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
                assert cursor.fetchone() == (True,)
        finally:
            ender.close()
        yield
    finally:
        connection.close()
        connection.settings_dict["CONN_HEALTH_CHECKS"] = saved


@pytest.fixture
def atomic_requests() -> Iterator[None]:
    """A host that wraps each of its requests in a transaction on every database
    (ATOMIC_REQUESTS: Django reads it from the connections' settings at each request)."""
    saved = {alias: connections.settings[alias]["ATOMIC_REQUESTS"] for alias in connections}
    for alias in saved:
        connections.settings[alias]["ATOMIC_REQUESTS"] = True
    try:
        yield
    finally:
        for alias, value in saved.items():
            connections.settings[alias]["ATOMIC_REQUESTS"] = value


# The isolation levels a host may configure its connections with, by engine
# (OPTIONS["isolation_level"]); Django's own default is READ COMMITTED on both.
ISOLATION_LEVELS = ["read committed", "repeatable read", "serializable"]


@contextmanager
def isolation_level(db_id: str, level: str) -> Iterator[None]:
    """db_id's connections (each thread's too) opened at `level` for the block."""
    if level == "read committed":
        yield
        return
    connection = connections[db_id]
    options = connection.settings_dict["OPTIONS"]
    saved = dict(options)
    if connection.vendor == "postgresql":
        from django.db.backends.postgresql.psycopg_any import IsolationLevel

        options["isolation_level"] = IsolationLevel[level.upper().replace(" ", "_")]
    else:
        options["isolation_level"] = level
    connection.close()
    try:
        yield
    finally:
        connection.close()
        options.clear()
        options.update(saved)


@pytest.fixture(
    params=[(db_id, how) for db_id in SERVER_DB_IDS for how in DOWN],
    ids=lambda param: f"{param[0]}-{param[1].replace(' ', '-')}",
)
def down(request: pytest.FixtureRequest) -> Iterator[str]:
    """A database server's db_id, down (closed port, missing database) during the test."""
    db_id, how = request.param
    require_db_id(db_id)
    with database_down(db_id, **DOWN[how]):
        yield db_id


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup: None, django_db_blocker: Any) -> None:
    """Agno keeps its PostgreSQL table in schema `ai`: create one beside the default."""
    if "pg" not in settings.DATABASES:
        return
    connection = connections["pg"]
    if connection.settings_dict["NAME"] != connection.creation._get_test_db_name():  # type: ignore[attr-defined]
        return  # no collected test uses PostgreSQL, so its test database was not made
    with django_db_blocker.unblock():
        with connection.cursor() as cursor:
            cursor.execute("CREATE SCHEMA IF NOT EXISTS ai")
        with connection.schema_editor() as editor:
            editor.create_model(memory_model(connection, "ai.agno_memories"))


def mint(
    subject: str | None = "alice",
    *,
    scopes: list[str] | str | None = None,
    key: str | None = None,
    algorithm: str = "HS256",
    lifetime: int = 300,
    headers: dict[str, Any] | None = None,
    **claims: Any,
) -> str:
    """A JWT signed for real with PyJWT, independent of the code under test."""
    now = int(time.time())
    payload: dict[str, Any] = {"iat": now, "exp": now + lifetime, "jti": uuid.uuid4().hex}
    if subject is not None:
        payload["sub"] = subject
    if scopes is not None:
        payload["scopes"] = scopes
    payload.update(claims)
    signing_key = key if key is not None else str(memories_settings.JWT_SIGNING_KEY)
    return jwt.encode(payload, signing_key, algorithm=algorithm, headers=headers)


def memories_with(**changes: Any) -> dict[str, Any]:
    """The test MEMORIES setting with some keys changed (the token key kept), for
    override_settings."""
    return {**settings.MEMORIES, **changes}


ADMIN_SCOPES = ["agent_os:admin"]

# 2027-01-15 08:00:00 UTC: the start of a minute and of an hour.
WINDOW_START = 1_800_000_000.0


@pytest.fixture
def throttle_clock_stopped(monkeypatch: pytest.MonkeyPatch) -> None:
    """The throttle's clock stands at the start of a window: the requests a test counts all
    fall in one, however long it takes. On the real clock a minute could end between two of
    them, and the next window count from zero."""
    monkeypatch.setattr(SubjectRateThrottle, "timer", lambda self: WINDOW_START)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def as_user(api: APIClient) -> Callable[..., APIClient]:
    """The API client authenticated as a regular user (or an admin with admin=True)."""

    def authenticate(subject: str = "alice", *, admin: bool = False) -> APIClient:
        token = mint(subject, scopes=ADMIN_SCOPES if admin else [])
        api.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        return api

    return authenticate


def deletion_log(caplog: pytest.LogCaptureFixture) -> list[dict[str, Any]]:
    """The structured fields of each deletion log line captured."""
    return [
        record.memory_deletion
        for record in caplog.records
        if record.name == "memories.deletions" and hasattr(record, "memory_deletion")
    ]


@pytest.fixture
def refilled() -> Any:
    """A writer that outpaces any erasure: after each committed batch that deletes alice's
    memories, two new ones of hers are written to the same table."""
    from memories.signals import memories_deleted
    from tests.factories import memory_create

    written: list[str] = []

    def refill(sender: Any, db_id: str, table: str, user_ids: list[str], **kwargs: Any) -> None:
        if "alice" not in user_ids:
            return
        for _ in range(2):
            written.append(memory_create(db_id, table, user_id="alice").memory_id)

    memories_deleted.connect(refill)
    yield written
    memories_deleted.disconnect(refill)


@pytest.fixture
def staff(client: Any) -> Any:
    """The test client, logged in to the admin as a superuser named operator."""
    from django.contrib.auth.models import User

    user = User.objects.create_superuser("operator", "operator@example.com", "s3cret-pass")
    client.force_login(user)
    return client
