"""The only place the API's error body {"detail", "error_code"} is built."""

import logging
import math
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from django.core.exceptions import DisallowedHost, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.utils.translation import gettext
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.settings import api_settings

from memories import exceptions as errors
from memories.conf import memories_settings
from memories.exceptions import DatabaseFailure
from memories.metrics import database_failed
from memories.statement_limits import statement_timeout_of

logger = logging.getLogger("memories.api")

_CODES_BY_STATUS = {
    status.HTTP_400_BAD_REQUEST: errors.BAD_REQUEST,
    status.HTTP_401_UNAUTHORIZED: errors.UNAUTHENTICATED,
    status.HTTP_403_FORBIDDEN: errors.FORBIDDEN,
    status.HTTP_404_NOT_FOUND: errors.NOT_FOUND,
    status.HTTP_405_METHOD_NOT_ALLOWED: errors.METHOD_NOT_ALLOWED,
    status.HTTP_406_NOT_ACCEPTABLE: errors.NOT_ACCEPTABLE,
    status.HTTP_411_LENGTH_REQUIRED: errors.LENGTH_REQUIRED,
    status.HTTP_413_REQUEST_ENTITY_TOO_LARGE: errors.PAYLOAD_TOO_LARGE,
    status.HTTP_415_UNSUPPORTED_MEDIA_TYPE: errors.UNSUPPORTED_MEDIA_TYPE,
    status.HTTP_422_UNPROCESSABLE_ENTITY: errors.VALIDATION_ERROR,
    status.HTTP_429_TOO_MANY_REQUESTS: errors.TOO_MANY_REQUESTS,
}


def error_response(
    status_code: int, detail: str, error_code: str, headers: Mapping[str, str] | None = None
) -> Response:
    return Response(
        {"detail": detail, "error_code": error_code}, status=status_code, headers=headers
    )


def readable(detail: Any, field: str | None = None) -> str:
    """One sentence per message of a DRF error detail, prefixed by its field."""
    if isinstance(detail, Mapping):
        parts = [readable(value, _field_name(field, key)) for key, value in detail.items()]
    elif isinstance(detail, Sequence) and not isinstance(detail, str):
        # A list serializer's errors hold one entry per item, `{}` for the valid ones.
        parts = [
            readable(item, _field_name(field, index) if isinstance(item, Mapping) else field)
            for index, item in enumerate(detail)
        ]
    else:
        # One template, so that a translation may place the field's name as its language
        # does: DRF's message and ours in the active language, the name as sent.
        if not field:
            return str(detail)
        return gettext("%(field)s: %(message)s") % {"field": field, "message": detail}
    return " ".join(part for part in parts if part)


def _field_name(parent: str | None, key: Any) -> str | None:
    # A serializer files them under the host's NON_FIELD_ERRORS_KEY.
    if key == api_settings.NON_FIELD_ERRORS_KEY:
        return parent
    if isinstance(key, int):  # an item of a list
        return f"{parent or ''}[{key}]"
    return f"{parent}.{key}" if parent else str(key)


def _as_api_exception(exc: Exception) -> exceptions.APIException | None:
    if isinstance(exc, errors.MemoriesError):
        return errors.api_error_for(exc)
    if isinstance(exc, exceptions.ValidationError):
        # Pydantic-style 422 for values that fail validation, as AgentOS answers.
        return errors.ValidationFailed(readable(exc.detail))
    if isinstance(exc, Http404):
        return errors.NotFound()
    if isinstance(exc, PermissionDenied):
        return exceptions.PermissionDenied()
    if isinstance(exc, exceptions.APIException):
        return exc
    return None


class DatabaseFailures:
    """One ERROR line per request that failed on a database: its db_id and the cause in one
    line; the traceback only the first time a cause is seen in TRACEBACK_SECONDS (a database
    that is down fails every request the same way)."""

    TRACEBACK_SECONDS = 60.0
    # Causes remembered at most; past it the oldest are forgotten (a traceback shown again).
    REMEMBERED = 1000

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._traced: dict[tuple[str, str, str], float] = {}

    def log(self, db_id: str, error: DatabaseFailure) -> None:
        reason = errors.database_reason(error)
        cause = (db_id, type(error).__name__, reason)
        now = time.monotonic()
        with self._lock:
            with_traceback = now - self._traced.get(cause, -math.inf) >= self.TRACEBACK_SECONDS
            if with_traceback:
                self._traced.pop(cause, None)
                self._traced[cause] = now
                while len(self._traced) > self.REMEMBERED:
                    del self._traced[next(iter(self._traced))]
        logger.error(
            "database %s failed: %s",
            db_id,
            reason,
            exc_info=error if with_traceback else None,
            extra={"db_id": db_id},
        )


database_failures = DatabaseFailures()


def _db_id_of(request: Any) -> str:
    """The db_id a request named (query string or body), else the default one."""
    named = getattr(request, "query_params", {}).get("db_id")
    if named is None:
        data = getattr(request, "_full_data", None)  # the body, only if already parsed
        named = data.get("db_id") if isinstance(data, Mapping) else None
    if isinstance(named, str) and named in memories_settings.DATABASES:
        return named
    return str(memories_settings.DEFAULT_DB_ID)


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """Render any exception raised in a memory view as the documented error body."""
    api_exception = _as_api_exception(exc)
    logged = False
    if api_exception is None:
        view = context.get("view")
        api_exception = errors.InternalServerError()
        if isinstance(exc, DatabaseFailure):
            db_id = _db_id_of(context.get("request"))
            database_failed(db_id)
            database_failures.log(db_id, exc)
            timed_out = statement_timeout_of(exc)
            if timed_out is not None:
                api_exception = errors.StatementTimeout(timed_out.explanation)
        else:
            logger.error("Unhandled error in %s", type(view).__name__, exc_info=exc)
        logged = True
    headers: dict[str, str] = {}
    auth_header = getattr(api_exception, "auth_header", None) or getattr(exc, "auth_header", None)
    if auth_header:
        headers["WWW-Authenticate"] = auth_header
    wait = getattr(api_exception, "wait", None)
    if wait is not None:
        headers["Retry-After"] = str(int(wait))
    code = (
        _CODES_BY_STATUS.get(api_exception.status_code) or str(api_exception.default_code).upper()
    )
    response = error_response(
        api_exception.status_code, readable(api_exception.detail), code, headers=headers
    )
    if logged:
        # Django's request logger would add a second ERROR line for the same 500.
        response._has_been_logged = True  # type: ignore[attr-defined]
    return response


class APIErrorsMixin:
    """A DRF view whose errors take the documented shape: it renders them with
    api_exception_handler, and bad_request answers its routes in the same shape."""

    def get_exception_handler(self) -> Callable[[Exception, Mapping[str, Any]], Response]:
        # Ours for these views only; the host's EXCEPTION_HANDLER stays theirs.
        return api_exception_handler


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 (a Host not in ALLOWED_HOSTS, say) in the documented shape on the API's
    routes, Django's own page elsewhere. A host project names it as its `handler400`."""
    try:
        view_class = getattr(resolve(request.path_info).func, "cls", None)
    except Resolver404:
        view_class = None
    if not (isinstance(view_class, type) and issubclass(view_class, APIErrorsMixin)):
        return defaults.bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        detail = gettext("The Host header names a host this server does not serve")
    else:
        detail = gettext("Bad request")
    return JsonResponse({"detail": detail, "error_code": errors.BAD_REQUEST}, status=400)
