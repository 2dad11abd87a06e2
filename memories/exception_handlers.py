"""The only place the API's error body {"detail", "error_code"} is built."""

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from django.core.exceptions import DisallowedHost, PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.urls import Resolver404, resolve
from django.views import defaults
from rest_framework import exceptions, status
from rest_framework.response import Response

from memories import exceptions as errors

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
        return f"{field}: {detail}" if field else str(detail)
    return " ".join(part for part in parts if part)


def _field_name(parent: str | None, key: Any) -> str | None:
    if key == "non_field_errors":
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


def api_exception_handler(exc: Exception, context: Mapping[str, Any]) -> Response:
    """Render any exception raised in a memory view as the documented error body."""
    api_exception = _as_api_exception(exc)
    if api_exception is None:
        view = context.get("view")
        logger.error("Unhandled error in %s", type(view).__name__, exc_info=exc)
        api_exception = errors.InternalServerError()
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
    return error_response(
        api_exception.status_code, readable(api_exception.detail), code, headers=headers
    )


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    """Django's 400 (a Host not in ALLOWED_HOSTS, say) in the documented shape on the API's
    routes, Django's own page elsewhere. A host project names it as its `handler400`."""
    from memories.views import MemoryAPIView  # the views render errors with this module

    try:
        view_class = getattr(resolve(request.path_info).func, "cls", None)
    except Resolver404:
        view_class = None
    if not (isinstance(view_class, type) and issubclass(view_class, MemoryAPIView)):
        return defaults.bad_request(request, exception)
    if isinstance(exception, DisallowedHost):
        detail = "The Host header names a host this server does not serve"
    else:
        detail = "Bad request"
    return JsonResponse({"detail": detail, "error_code": errors.BAD_REQUEST}, status=400)
