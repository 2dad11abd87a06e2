"""Prometheus metrics: deletions, memories erased, purged and exported, request latency and
database errors, served by MetricsMiddleware at MEMORIES["METRICS_PATH"].

Needs prometheus-client (the `metrics` extra); without it nothing is counted. Several worker
processes add up with prometheus-client's multiprocess mode: each process writes its values
under PROMETHEUS_MULTIPROC_DIR (set before the server starts, emptied at each start; the
bundled project's bin/serve does both), and a scrape of any process reads them all.
"""

import os
import time
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase, HttpResponseNotAllowed

from memories.conf import memories_settings

try:
    import prometheus_client
except ImportError:  # the extra is not installed
    prometheus_client = None  # type: ignore[assignment]

# Methods named as themselves in the latency's labels; any other is "other", so a client
# cannot add a label value per request.
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

_metrics: dict[str, Any] = {}
if prometheus_client is not None:
    _metrics = {
        "deletions": prometheus_client.Counter(
            "memories_deletions",
            "Deletions (one memory, a bulk delete or a batch of an erasure) by outcome.",
            ["channel", "db_id", "outcome"],
        ),
        "erased": prometheus_client.Counter(
            "memories_rows_erased",
            "Memories deleted by erasures and deletions by filter.",
            ["channel", "db_id"],
        ),
        "purged": prometheus_client.Counter(
            "memories_rows_purged", "Memories deleted by retention rules.", ["db_id"]
        ),
        "exported": prometheus_client.Counter(
            "memories_rows_exported", "Memories sent by exports.", ["channel", "db_id"]
        ),
        "database_errors": prometheus_client.Counter(
            "memories_database_errors",
            "Requests and deletions that failed on their database.",
            ["db_id"],
        ),
        "latency": prometheus_client.Histogram(
            "memories_request_duration_seconds",
            "Time to answer a request (to its first byte for a streamed export).",
            ["route", "method", "status"],
        ),
    }


def deletion_counted(*, channel: str, db_id: str, outcome: str, rows: int, by_id: bool) -> None:
    """A deletion or batch ended: its outcome, and the rows an erasure or purge took."""
    if not _metrics:
        return
    _metrics["deletions"].labels(channel, db_id, outcome).inc()
    if by_id or not rows:
        return
    if channel == "retention":
        _metrics["purged"].labels(db_id).inc(rows)
    else:
        _metrics["erased"].labels(channel, db_id).inc(rows)


def rows_exported(*, channel: str, db_id: str, rows: int) -> None:
    if _metrics and rows:
        _metrics["exported"].labels(channel, db_id).inc(rows)


def database_failed(db_id: str) -> None:
    if _metrics:
        _metrics["database_errors"].labels(db_id).inc()


def exposition() -> tuple[bytes, str]:
    """The metrics as Prometheus reads them, and their content type; those of every process
    writing to PROMETHEUS_MULTIPROC_DIR when it is set."""
    assert prometheus_client is not None
    from prometheus_client import multiprocess

    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = prometheus_client.CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    else:
        registry = prometheus_client.REGISTRY
    return prometheus_client.generate_latest(registry), prometheus_client.CONTENT_TYPE_LATEST


class MetricsMiddleware:
    """Times every request by route (the URL pattern, never the path), method and status,
    and answers GET MEMORIES["METRICS_PATH"] with the metrics (None: not served). Put it
    first in MIDDLEWARE, so the time covers the other middleware too."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        path = memories_settings.METRICS_PATH
        if path and _metrics and request.path_info == path:
            if request.method not in ("GET", "HEAD"):
                return HttpResponseNotAllowed(["GET", "HEAD"])
            body, content_type = exposition()
            return HttpResponse(body, content_type=content_type)
        started = time.perf_counter()
        response = self.get_response(request)
        if _metrics:
            match = request.resolver_match
            route = match.route if match is not None else "unmatched"
            method = request.method if request.method in METHODS else "other"
            _metrics["latency"].labels(route, method, str(response.status_code)).observe(
                time.perf_counter() - started
            )
        return response
