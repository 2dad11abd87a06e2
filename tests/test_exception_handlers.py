"""api_exception_handler: every exception becomes {"detail", "error_code"} with its status."""

import logging

import pytest
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import DatabaseError
from django.http import Http404
from rest_framework import exceptions, serializers
from rest_framework.exceptions import ErrorDetail
from rest_framework.settings import api_settings
from rest_framework.views import exception_handler as drf_exception_handler

from memories.exception_handlers import api_exception_handler, readable
from memories.exceptions import (
    DatabaseNotFoundError,
    MemoryNotFoundError,
    PayloadTooLarge,
    TableNotFoundError,
    TableWithoutDatabaseError,
    ValidationFailed,
)
from memories.views import MemoryViewSet

INTERNAL_ERROR = {"detail": "Internal server error", "error_code": "INTERNAL_SERVER_ERROR"}


def handle(exc: Exception):
    return api_exception_handler(exc, {"view": MemoryViewSet(), "request": None})


def raised(exc: Exception) -> Exception:
    """The exception after a real raise, with its traceback, as a view hands it over."""
    try:
        raise exc
    except Exception as caught:
        return caught


class UnhandledExceptionTests:
    @pytest.mark.parametrize(
        "exc",
        [
            RuntimeError("bug at /srv/app/memories/secret.py line 42"),
            DatabaseError('relation "agno_memories" does not exist; password=hunter2'),
            KeyError("memory_id"),
        ],
        ids=["bug", "database", "key"],
    )
    def test_becomes_a_generic_500_that_reveals_nothing(self, exc):
        response = handle(raised(exc))

        assert response.status_code == 500
        assert response.data == INTERNAL_ERROR
        assert str(exc) not in str(response.data)
        assert "Traceback" not in str(response.data)
        assert "WWW-Authenticate" not in response
        assert "Retry-After" not in response

    def test_is_logged_with_its_traceback(self, caplog):
        exc = raised(RuntimeError("the cause"))

        with caplog.at_level(logging.ERROR, logger="memories.api"):
            handle(exc)

        [record] = [r for r in caplog.records if r.name == "memories.api"]
        assert record.levelno == logging.ERROR
        assert record.getMessage() == "Unhandled error in MemoryViewSet"
        assert record.exc_info is not None
        assert record.exc_info[1] is exc
        assert "the cause" in caplog.text
        assert "Traceback" in caplog.text

    def test_known_errors_are_not_logged_as_failures(self, caplog):
        with caplog.at_level(logging.ERROR, logger="memories.api"):
            handle(raised(MemoryNotFoundError()))
            handle(raised(exceptions.ValidationError({"db_id": ["bad"]})))

        assert [r for r in caplog.records if r.name == "memories.api"] == []


class KnownExceptionTests:
    @pytest.mark.parametrize(
        "exc, status, detail, error_code",
        [
            (MemoryNotFoundError(), 404, "Memory not found", "NOT_FOUND"),
            (DatabaseNotFoundError("nope"), 404, "No database found with id 'nope'", "NOT_FOUND"),
            (
                TableNotFoundError("lite", "t"),
                404,
                "No table 't' found in database 'lite'",
                "NOT_FOUND",
            ),
            (
                TableWithoutDatabaseError(),
                400,
                "The db_id query parameter is required when passing a table",
                "BAD_REQUEST",
            ),
            (Http404("No Memory matches the given query."), 404, "Not found", "NOT_FOUND"),
            (
                DjangoPermissionDenied("internal reason"),
                403,
                "You do not have permission to perform this action.",
                "FORBIDDEN",
            ),
            (
                exceptions.ParseError("JSON parse error - Expecting value"),
                400,
                "JSON parse error - Expecting value",
                "BAD_REQUEST",
            ),
            (
                exceptions.MethodNotAllowed("PUT"),
                405,
                'Method "PUT" not allowed.',
                "METHOD_NOT_ALLOWED",
            ),
            (
                exceptions.NotAcceptable(),
                406,
                "Could not satisfy the request Accept header.",
                "NOT_ACCEPTABLE",
            ),
            (
                PayloadTooLarge("The request body may not exceed 10 bytes"),
                413,
                "The request body may not exceed 10 bytes",
                "PAYLOAD_TOO_LARGE",
            ),
            (
                exceptions.UnsupportedMediaType("text/plain"),
                415,
                'Unsupported media type "text/plain" in request.',
                "UNSUPPORTED_MEDIA_TYPE",
            ),
            (
                ValidationFailed("user_id: An admin must name the owner of the memory."),
                422,
                "user_id: An admin must name the owner of the memory.",
                "VALIDATION_ERROR",
            ),
        ],
        ids=lambda value: type(value).__name__ if isinstance(value, Exception) else None,
    )
    def test_maps_to_its_status_and_code(self, exc, status, detail, error_code):
        response = handle(raised(exc))

        assert response.status_code == status
        assert response.data == {"detail": detail, "error_code": error_code}

    def test_drf_validation_error_is_a_readable_422(self):
        exc = exceptions.ValidationError(
            {"user_id": ["This field may not be blank."], "table": ["Must be a string."]}
        )

        response = handle(raised(exc))

        assert response.status_code == 422
        assert response.data == {
            "detail": "user_id: This field may not be blank. table: Must be a string.",
            "error_code": "VALIDATION_ERROR",
        }

    def test_status_without_a_known_code_uses_the_exceptions_own_code(self):
        class Conflict(exceptions.APIException):
            status_code = 409
            default_detail = "Already being erased"
            default_code = "conflict"

        response = handle(raised(Conflict()))

        assert response.status_code == 409
        assert response.data == {"detail": "Already being erased", "error_code": "CONFLICT"}

    def test_status_decides_the_code_over_the_exceptions_own(self):
        # simplejwt's InvalidToken says "token_not_valid"; the contract says UNAUTHENTICATED.
        exc = exceptions.AuthenticationFailed("Token is invalid", code="token_not_valid")
        # DRF's APIView.handle_exception sets it on 401s.
        exc.auth_header = "Bearer"  # type: ignore[attr-defined]

        response = handle(raised(exc))

        assert response.status_code == 401
        assert response.data == {"detail": "Token is invalid", "error_code": "UNAUTHENTICATED"}
        assert response["WWW-Authenticate"] == "Bearer"

    def test_401_without_a_challenge_sends_no_header(self):
        response = handle(raised(exceptions.NotAuthenticated()))

        assert response.status_code == 401
        assert "WWW-Authenticate" not in response


class ThrottledTests:
    @pytest.mark.parametrize(
        "wait, retry_after, detail",
        [
            (12.3, "13", "Request was throttled. Expected available in 13 seconds."),
            (1, "1", "Request was throttled. Expected available in 1 second."),
            (0.2, "1", "Request was throttled. Expected available in 1 second."),
        ],
    )
    def test_is_429_with_retry_after(self, wait, retry_after, detail):
        response = handle(raised(exceptions.Throttled(wait=wait)))

        assert response.status_code == 429
        assert response.data == {"detail": detail, "error_code": "TOO_MANY_REQUESTS"}
        # Never earlier than the detail promises: a client retrying then is let through.
        assert response["Retry-After"] == retry_after

    def test_without_a_wait_sends_no_retry_after(self):
        response = handle(raised(exceptions.Throttled()))

        assert response.status_code == 429
        assert response.data == {
            "detail": "Request was throttled.",
            "error_code": "TOO_MANY_REQUESTS",
        }
        assert "Retry-After" not in response


def test_the_hosts_exception_handler_stays_its_own():
    # Bound per view, not through REST_FRAMEWORK["EXCEPTION_HANDLER"].
    assert api_settings.EXCEPTION_HANDLER is drf_exception_handler
    assert MemoryViewSet().get_exception_handler() is api_exception_handler


class ReadableTests:
    @pytest.mark.parametrize(
        "detail, expected",
        [
            ("Plain message.", "Plain message."),
            (ErrorDetail("An error detail.", code="invalid"), "An error detail."),
            (["First.", "Second."], "First. Second."),
            ({"db_id": ["This field may not be blank."]}, "db_id: This field may not be blank."),
            (
                {"table": ["Too long.", "Must not contain control characters."]},
                "table: Too long. table: Must not contain control characters.",
            ),
            ({"non_field_errors": ["Both given must agree."]}, "Both given must agree."),
            # A ListField's errors are keyed by the index of the failing item.
            (
                {"memory_ids": {3: ["This field may not be blank."]}},
                "memory_ids[3]: This field may not be blank.",
            ),
            # A nested serializer's errors, and its own non-field errors.
            ({"owner": {"name": ["Required."]}}, "owner.name: Required."),
            ({"owner": {"non_field_errors": ["Inconsistent."]}}, "owner: Inconsistent."),
            # A list serializer's errors: one entry per item, {} for the valid ones.
            (
                {"items": [{}, {"name": ["Required."]}, {}, {"name": ["Too long."]}]},
                "items[1].name: Required. items[3].name: Too long.",
            ),
            ([{"name": ["Required."]}], "[0].name: Required."),
            (
                {"a": {"b": {0: {"c": ["Deep."]}}}, "d": ["Shallow."]},
                "a.b[0].c: Deep. d: Shallow.",
            ),
        ],
    )
    def test_formats_each_message_with_its_field(self, detail, expected):
        assert readable(detail) == expected

    def test_formats_the_errors_of_a_real_serializer(self):
        class Item(serializers.Serializer):
            name = serializers.CharField(max_length=3)

        class Body(serializers.Serializer):
            ids = serializers.ListField(child=serializers.CharField())
            items = Item(many=True)

        serializer = Body(data={"ids": ["a", ""], "items": [{"name": "ok"}, {"name": "long"}]})

        assert not serializer.is_valid()
        assert readable(serializer.errors) == (
            "ids[1]: This field may not be blank. "
            "items[1].name: Ensure this field has no more than 3 characters."
        )


class DisallowedHostTests:
    """Django refuses a Host outside ALLOWED_HOSTS before any view; the host project's
    handler400 (memories.exception_handlers.bad_request) keeps the API's shape."""

    @pytest.mark.parametrize(
        "path", ["/memories", "/memories/m1/", "/user_memory_stats", "/memories/x/y"]
    )
    def test_api_routes_answer_json(self, api, path):
        response = api.delete(path, HTTP_HOST="evil.example")

        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": "The Host header names a host this server does not serve",
            "error_code": "BAD_REQUEST",
        }

    def test_other_routes_keep_djangos_page(self, api):
        response = api.get("/admin/login/", HTTP_HOST="evil.example")

        assert response.status_code == 400
        assert response["Content-Type"].startswith("text/html")
