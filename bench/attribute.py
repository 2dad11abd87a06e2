"""Where the CPU of one DELETE /memories/{memory_id} goes, part by part, inside one worker.

Calls the project's WSGI application directly, as bench/profile.py does (a fresh PostgreSQL
database, owner tokens, metrics in a multiprocess directory as bin/serve keeps them), with a
timer around each part of the request's way: Django's handler, each middleware, DRF's steps,
the validation, the service, the statement, the log lines, the metrics, the response. Each
part is charged its own time (its children's taken out), per request; the table gives each
part's median over the requests in microseconds, and its share of their sum.

The timers read the wall clock (cheap), except around the database round trip, where the
process waits: there the thread's CPU clock is read, and the wait is taken out of every part
around it. Medians leave out the requests another process interrupted (the machine is
shared); the garbage collector's runs are a part of their own (a mean: they are rare). The
timers' own cost, measured on an empty function, is taken out of the parts that call them.

    .venv/bin/python bench/attribute.py --requests 4000
"""

import argparse
import gc
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.profile import configured_database, environ  # noqa: E402
from bench.run import Database  # noqa: E402

# The database round trip: the thread's CPU clock, not the wall's.
WAITS = "database round trip (psycopg's wait, CPU only)"
GC = "garbage collection (mean)"


class Frame:
    __slots__ = ("children", "calls")

    def __init__(self) -> None:
        self.children = 0.0
        self.calls = 0


class Clock:
    """Exclusive time per part for the request being served."""

    def __init__(self) -> None:
        self.stack = [Frame()]
        self.idle = 0.0  # wall time not on the CPU: database waits, collections
        self.parts: dict[str, float] = defaultdict(float)
        self.overhead = 0.0  # a timer's own cost to the part that calls it
        self.collections: dict[int, list[float]] = defaultdict(list)

    def timed(self, label: str, function: Callable[..., Any], waits: bool = False) -> Any:
        clock = self

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            frame = Frame()
            clock.stack.append(frame)
            idle = clock.idle
            cpu = time.thread_time() if waits else 0.0
            started = time.perf_counter()
            try:
                return function(*args, **kwargs)
            finally:
                wall = time.perf_counter() - started
                if waits:
                    cpu = time.thread_time() - cpu
                    clock.idle += wall - cpu - (clock.idle - idle)
                elapsed = wall - (clock.idle - idle)
                clock.stack.pop()
                parent = clock.stack[-1]
                parent.children += elapsed
                parent.calls += 1
                clock.parts[label] += elapsed - frame.children - frame.calls * clock.overhead

        # What decorators mark on a function (csrf_exempt) stays visible.
        wrapper.__dict__.update(getattr(function, "__dict__", {}))
        wrapper.__wrapped__ = function  # type: ignore[attr-defined]
        return wrapper

    def collecting(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._collection = time.perf_counter()
        else:
            spent = time.perf_counter() - self._collection
            self.idle += spent
            self.parts[GC] += spent
            self.collections[info["generation"]].append(spent)


def patch(clock: Clock, owner: Any, name: str, label: str, waits: bool = False) -> None:
    setattr(owner, name, clock.timed(label, getattr(owner, name), waits))


def calibrate(clock: Clock) -> float:
    """A timer's cost outside the timed function, per call, as its caller sees it."""

    def empty() -> None:
        pass

    timed = clock.timed("calibration", empty)
    runs = []
    for _ in range(5):
        started = time.perf_counter()
        for _ in range(20000):
            timed()
        with_timer = time.perf_counter() - started
        started = time.perf_counter()
        for _ in range(20000):
            empty()
        without = time.perf_counter() - started
        runs.append((with_timer - without) / 20000)
    clock.parts.clear()
    clock.stack = [Frame()]
    return min(runs)


def instrument(clock: Clock) -> None:
    """A timer around each part of a delete's way (before the WSGI handler is built)."""
    import logging

    import prometheus_client.metrics
    import psycopg
    from django.core import signals
    from django.core.handlers.base import BaseHandler
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.backends.utils import CursorWrapper
    from django.http import HttpResponseBase
    from django.middleware.clickjacking import XFrameOptionsMiddleware
    from django.middleware.common import CommonMiddleware
    from django.middleware.csrf import CsrfViewMiddleware
    from django.middleware.security import SecurityMiddleware
    from django.template.response import SimpleTemplateResponse
    from rest_framework.response import Response
    from rest_framework.views import APIView
    from whitenoise.middleware import WhiteNoiseMiddleware  # type: ignore[import-untyped]

    from agentos import handlers, logs, middleware
    from memories import metrics, requests, statement_limits, targets, views
    from memories.authentication import BearerTokenAuthentication
    from memories.services import deletion
    from memories.statements import postgresql

    middlewares = [
        (metrics.MetricsMiddleware, "middleware: metrics (latency, own part)"),
        (requests.RequestIdMiddleware, "middleware: request id"),
        (logs.AccessLogMiddleware, "middleware: access log (own part)"),
        (SecurityMiddleware, "middleware: security"),
        (WhiteNoiseMiddleware, "middleware: whitenoise"),
        (middleware.BrowserSessionMiddleware, "middleware: session (skipped on the API)"),
        (CommonMiddleware, "middleware: common"),
        (CsrfViewMiddleware, "middleware: csrf (request, response)"),
        (middleware.BrowserAuthenticationMiddleware, "middleware: auth (skipped on the API)"),
        (middleware.BrowserMessageMiddleware, "middleware: messages (skipped on the API)"),
        (XFrameOptionsMiddleware, "middleware: clickjacking"),
    ]
    for cls, label in middlewares:
        # Its own attribute, even where the method is inherited.
        setattr(cls, "__call__", clock.timed(label, cls.__call__))  # noqa: B010
    patch(clock, CsrfViewMiddleware, "process_view", "middleware: csrf (view)")

    patch(clock, handlers.ProjectWSGIHandler, "__call__", "Django handler (own part)")
    patch(clock, handlers.ProjectWSGIRequest, "__init__", "Django request (WSGIRequest)")
    signals.request_started.send = clock.timed(  # type: ignore[method-assign]
        "request_started signal", signals.request_started.send
    )
    patch(clock, HttpResponseBase, "close", "response close (request_finished signal)")
    patch(clock, BaseHandler, "get_response", "Django get_response (own part)")
    patch(clock, BaseHandler, "_get_response", "Django _get_response (own part)")
    patch(clock, SimpleTemplateResponse, "render", "response rendering")

    resolve = BaseHandler.resolve_request

    def resolve_request(self: Any, request: Any) -> Any:
        callback, args, kwargs = resolve(self, request)
        return clock.timed("DRF view function (viewset instance)", callback), args, kwargs

    BaseHandler.resolve_request = clock.timed(  # type: ignore[method-assign]
        "URL resolving", resolve_request
    )

    patch(clock, views.MemoryAPIView, "dispatch", "statement limit (block enter, exit)")
    patch(clock, APIView, "dispatch", "DRF dispatch (own part)")
    patch(clock, APIView, "initialize_request", "DRF request wrapping (parsers, authenticators)")
    patch(clock, views.MemoryAPIView, "initial", "API checks (method, charset, lengths)")
    patch(clock, APIView, "initial", "DRF initial (own part)")
    patch(clock, APIView, "perform_content_negotiation", "content negotiation")
    patch(clock, APIView, "perform_authentication", "authentication (own part)")
    patch(clock, BearerTokenAuthentication, "get_validated_token", "authentication: JWT (cached)")
    patch(clock, APIView, "check_permissions", "permissions")
    patch(clock, APIView, "check_throttles", "throttle")
    patch(clock, APIView, "finalize_response", "DRF finalize_response")
    patch(clock, Response, "__init__", "DRF Response")

    patch(clock, views.MemoryViewSet, "destroy", "view: destroy (own part)")
    patch(clock, views, "validated_params", "query parameters' validation")
    patch(clock, views.MemoryAPIView, "get_target", "target resolution")
    patch(clock, views, "memory_delete", "service: memory_delete (own part)")
    patch(clock, deletion, "delete_selection", "service: delete_selection (own part)")
    patch(clock, targets, "statements_for", "service: statements lookup")
    patch(
        clock,
        postgresql.PostgreSQLStatements,
        "delete_and_record",
        "statement: SQL text and parameters",
    )
    patch(clock, BaseDatabaseWrapper, "cursor", "Django cursor (connection health check)")
    patch(clock, CursorWrapper, "execute", "Django cursor execute")
    patch(clock, statement_limits.PostgreSQLLimit, "__call__", "statement limit (per statement)")
    patch(clock, psycopg.Cursor, "execute", "psycopg execute (client-side binding)")
    patch(clock, psycopg.Connection, "wait", WAITS, waits=True)
    patch(clock, psycopg.Cursor, "fetchall", "psycopg fetchall")
    patch(clock, psycopg.Cursor, "nextset", "psycopg nextset")
    patch(clock, CursorWrapper, "__exit__", "psycopg cursor close")
    patch(clock, deletion, "_log", "deletion log line (own part)")
    patch(clock, deletion, "deletion_counted", "metrics: deletion counter")
    patch(
        clock,
        logging.Logger,
        "_log",
        "logging: record (makeRecord, findCaller)",
    )
    patch(clock, logging.Logger, "handle", "logging: handle (own part)")
    patch(clock, requests.RequestIdFilter, "filter", "logging: request id filter")
    patch(clock, logs.PlainFormatter, "format", "logging: format")
    patch(clock, logging.StreamHandler, "emit", "logging: emit (write, flush)")
    patch(clock, prometheus_client.metrics.MetricWrapperBase, "labels", "metrics: labels")
    patch(clock, prometheus_client.metrics.Histogram, "observe", "metrics: histogram observe")
    patch(clock, prometheus_client.metrics.Counter, "inc", "metrics: counter inc")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=4000)
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--gc-freeze", action="store_true")
    parser.add_argument("--gc-threshold", type=int, default=0)
    args = parser.parse_args()
    with configured_database("postgres") as (database, key):
        attribute(database, key, args)


def attribute(database: Database, key: str, args: argparse.Namespace) -> None:
    import django
    import jwt
    from django.core.management import call_command

    django.setup()
    call_command("migrate", verbosity=0)
    clock = Clock()
    clock.overhead = calibrate(clock)
    instrument(clock)
    from agentos.wsgi import application

    if args.gc_freeze:
        gc.freeze()
    if args.gc_threshold:
        gc.set_threshold(args.gc_threshold, 10, 10)

    now = int(time.time())
    users = [f"user{n}" for n in range(args.users)]
    tokens = {
        user: jwt.encode({"sub": user, "iat": now, "exp": now + 3600}, key, algorithm="HS256")
        for user in users
    }
    owners = {f"m{n:07}": users[n % len(users)] for n in range(args.requests + 1)}
    database.seed(owners)
    plan = [environ(f"/memories/{memory_id}", tokens[u]) for memory_id, u in owners.items()]

    def start_response(status: str, headers: Any, exc_info: Any = None) -> Any:
        if not status.startswith("204"):
            raise RuntimeError(f"unexpected {status}")
        return lambda data: None

    def call(request: dict[str, Any]) -> None:
        response = application(request, start_response)
        b"".join(response)
        response.close()

    whole = clock.timed("WSGI application wrapper, the loop", call)
    for request in plan[:200]:  # connect, warm the caches and the tokens
        whole(request)
    gc.callbacks.append(clock.collecting)
    samples: dict[str, list[float]] = defaultdict(list)
    cpu = time.process_time()
    for request in plan[200:]:
        clock.parts.clear()
        whole(request)
        for label, spent in clock.parts.items():
            samples[label].append(spent)
    cpu = time.process_time() - cpu
    gc.callbacks.remove(clock.collecting)
    measured = len(plan) - 200
    # The collector runs in a few requests only: its mean over all of them.
    medians = {
        label: sum(spent) / measured if label == GC else statistics.median(spent)
        for label, spent in samples.items()
    }
    total = sum(medians.values())
    overhead = 1e9 * clock.overhead
    print(f"{measured} deletes, each timed part by part (timer cost {overhead:.0f} ns)")
    print(f"process CPU per delete, timers included: {1e6 * cpu / measured:.0f} us")
    print(f"sum of the parts' medians: {1e6 * total:.0f} us")
    for generation, runs in sorted(clock.collections.items()):
        print(
            f"collections of generation {generation}: {len(runs)}, "
            f"{1e6 * sum(runs) / measured:.1f} us per delete"
        )
    print()
    print("| part | us per delete | share |")
    print("|---|---|---|")
    for label, spent in sorted(medians.items(), key=lambda item: -item[1]):
        print(f"| {label} | {1e6 * spent:.1f} | {100 * spent / total:.1f}% |")


if __name__ == "__main__":
    main()
