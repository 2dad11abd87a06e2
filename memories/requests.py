"""The request id: taken from a sane `X-Request-ID` or made up, returned in the response, put
on every log record of the request (RequestIdFilter) and in its audit records."""

import contextlib
import logging
import re
import uuid
from collections.abc import Callable, Iterator
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponseBase

HEADER = "X-Request-ID"
# The header as every server hands it over (WSGI's environ, Django's ASGI request): read from
# META directly, since `request.headers` first builds a map of every header of the request
# (BENCHMARKS.md), which nothing else on the API's way needs.
_META_KEY = "HTTP_X_REQUEST_ID"
# What a proxy's id looks like (a UUID, a trace id, `abc-123.4`): a client's value that is
# longer or holds anything else (spaces, quotes, control characters) is replaced, so nothing
# odd reaches the logs, the audit records or the response headers.
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")

_current: ContextVar[str | None] = ContextVar("memories_request_id", default=None)


def current_request_id() -> str | None:
    """The id of the request this code serves; None outside one (a command, a cron job)."""
    return _current.get()


@contextlib.contextmanager
def request_id_kept(request_id: str | None) -> Iterator[None]:
    """The request's id again, for its code that runs after its middleware returned (the
    chunks of a streamed body), so their log lines carry it too."""
    token = _current.set(request_id)
    try:
        yield
    finally:
        _current.reset(token)


def request_id_of(value: str | None) -> str:
    """The client's id when sane, else a new one."""
    if value is not None and _SANE.fullmatch(value):
        return value
    return uuid.uuid4().hex


class RequestIdMiddleware:
    """Gives each request its id (first in MIDDLEWARE, so every later line has it) and
    returns it in the `X-Request-ID` response header."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_of(request.META.get(_META_KEY))
        token = _current.set(request_id)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        response[HEADER] = request_id
        return response


class RequestIdFilter(logging.Filter):
    """Adds `request_id` (None outside a request) to every record its handler formats."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = current_request_id()
        return True
