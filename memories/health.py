"""Probes for load balancers and orchestrators: liveness without any I/O, and readiness (every
configured database and the throttle cache answer within a short timeout)."""

import functools
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiExample, OpenApiResponse
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle

from memories.conf import memories_settings
from memories.exceptions import NOT_READY
from memories.schema import documented
from memories.views import MemoryAPIView

# When this process loaded the app (memories.apps imports this module when Django starts):
# what Agno's AgentOS answers as `instantiated_at`.
STARTED_AT = datetime.now(UTC)

OK, TIMEOUT = "ok", "timeout"

# A check that hangs (a server that takes the connection and never answers) keeps its
# thread until the driver gives up; the next probes find it still running and report a
# timeout without starting another, so hung checks never pile up.
_executor = ThreadPoolExecutor(max_workers=16, thread_name_prefix="memories-readiness")
_running: dict[str, Future[None]] = {}
_running_lock = threading.Lock()


def started_at() -> str:
    """The process's start, ISO 8601 in UTC, as Agno's AgentOS gives it."""
    return STARTED_AT.isoformat().replace("+00:00", "Z")


def _database_answers(alias: str) -> None:
    # A connection of its own, closed after: the probe's thread keeps none, and the request
    # thread's persistent connections stay out of it.
    connection = connections.create_connection(alias)
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    finally:
        connection.close()


def _cache_answers() -> None:
    SimpleRateThrottle.cache.get("memories:readiness")


def _submit(name: str, check: Callable[[], None]) -> Future[None]:
    with _running_lock:
        running = _running.get(name)
        if running is not None and not running.done():
            return running
        future = _executor.submit(check)
        _running[name] = future
        return future


def _state(future: Future[None], deadline: float) -> str:
    try:
        future.result(timeout=max(0.0, deadline - time.monotonic()))
    except FutureTimeout:
        return TIMEOUT
    except Exception as error:
        # The class only: a driver's message may name hosts, users or databases.
        return f"error ({type(error).__name__})"
    return OK


@dataclass(frozen=True)
class Readiness:
    """Each dependency's state: "ok", "timeout" or "error (<exception class>)"."""

    databases: dict[str, str]
    cache: str
    cache_required: bool

    @property
    def failing(self) -> list[str]:
        """What fails the probe, named in the active language."""
        names = [
            gettext("database %(db_id)s") % {"db_id": name}
            for name, state in self.databases.items()
            if state != OK
        ]
        if self.cache_required and self.cache != OK:
            names.append(gettext("cache"))
        return names

    @property
    def status(self) -> str:
        if self.failing:
            return "unavailable"
        return OK if self.cache == OK else "degraded"


def readiness() -> Readiness:
    """Every configured database (by db_id, plus `default`, which holds the audit records)
    and the throttle cache, checked at once, each given READY_TIMEOUT seconds."""
    aliases = dict(memories_settings.DATABASES)
    if DEFAULT_DB_ALIAS not in aliases.values():
        aliases.setdefault(DEFAULT_DB_ALIAS, DEFAULT_DB_ALIAS)
    deadline = time.monotonic() + float(memories_settings.READY_TIMEOUT)
    databases = {
        db_id: _submit(f"database:{alias}", functools.partial(_database_answers, alias))
        for db_id, alias in aliases.items()
    }
    cache = _submit("cache", _cache_answers)
    return Readiness(
        databases={db_id: _state(future, deadline) for db_id, future in databases.items()},
        cache=_state(cache, deadline),
        # Throttling fails open unless told otherwise: then the cache is only reported.
        cache_required=bool(
            memories_settings.THROTTLE_RATE and memories_settings.THROTTLE_FAIL_CLOSED
        ),
    )


class ProbeView(MemoryAPIView):
    """A probe: answered without a token, never throttled (a load balancer polls it)."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []


class HealthView(ProbeView):
    """GET /health: the process is alive; no database or cache is asked."""

    @documented(
        operation_id="health_check",
        summary="Health Check",
        description=(
            "Liveness, as Agno's AgentOS answers it: the process serves requests. It asks no "
            "database or cache, and needs no token."
        ),
        tags=["Health"],
        responses={
            200: OpenApiResponse(
                {
                    "type": "object",
                    "properties": {
                        "status": {"type": "string", "enum": ["ok"]},
                        "instantiated_at": {"type": "string", "format": "date-time"},
                    },
                    "required": ["status", "instantiated_at"],
                },
                description="The process is alive",
                examples=[
                    OpenApiExample(
                        "Alive", value={"status": "ok", "instantiated_at": "2026-06-10T12:00:00Z"}
                    )
                ],
            )
        },
    )
    def get(self, request: Request) -> Response:
        return Response({"status": OK, "instantiated_at": started_at()})


READINESS_PROPERTIES: dict[str, Any] = {
    "status": {"type": "string", "enum": ["ok", "degraded", "unavailable"]},
    "databases": {"type": "object", "additionalProperties": {"type": "string"}},
    "cache": {"type": "string"},
}
READINESS_REQUIRED = ["status", "databases", "cache"]


class ReadinessView(ProbeView):
    """GET /readyz: every configured database and the throttle cache answer in time."""

    @documented(
        operation_id="readiness_check",
        summary="Readiness Check",
        description=(
            "200 when every configured database (by db_id; `default` too) answers within "
            "MEMORIES['READY_TIMEOUT'] seconds, else 503 naming each one that failed: "
            "`ok`, `timeout` or `error (<exception class>)`, never a host or a message. The "
            "throttle cache is reported too; it fails the probe only when throttling fails "
            "closed (MEMORIES['THROTTLE_FAIL_CLOSED']), and is otherwise `degraded`. No token "
            "needed."
        ),
        tags=["Health"],
        responses={
            200: OpenApiResponse(
                {
                    "type": "object",
                    "properties": READINESS_PROPERTIES,
                    "required": READINESS_REQUIRED,
                },
                description="Ready",
                examples=[
                    OpenApiExample(
                        "Ready",
                        value={"status": "ok", "databases": {"default": "ok"}, "cache": "ok"},
                    )
                ],
            ),
            503: OpenApiResponse(
                {
                    "type": "object",
                    "properties": {
                        "detail": {"type": "string"},
                        "error_code": {"type": "string", "enum": [NOT_READY]},
                        **READINESS_PROPERTIES,
                    },
                    "required": ["detail", "error_code", *READINESS_REQUIRED],
                },
                description="A dependency does not answer",
                examples=[
                    OpenApiExample(
                        "A database down",
                        value={
                            "detail": "Not ready: database pg",
                            "error_code": NOT_READY,
                            "status": "unavailable",
                            "databases": {"default": "ok", "pg": "error (OperationalError)"},
                            "cache": "ok",
                        },
                    )
                ],
            ),
        },
    )
    def get(self, request: Request) -> Response:
        ready = readiness()
        body = {"status": ready.status, "databases": ready.databases, "cache": ready.cache}
        if not ready.failing:
            return Response(body)
        detail = gettext("Not ready: %(failing)s") % {"failing": ", ".join(ready.failing)}
        return Response({"detail": detail, "error_code": NOT_READY, **body}, status=503)
