"""The pieces the memory API's operations are documented with: error responses, query and path
parameters derived from the serializers that validate them, examples."""

import functools
import re
from typing import Any, TypeVar

from django.core.validators import ProhibitNullCharactersValidator, RegexValidator
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    inline_serializer,
)
from rest_framework import serializers

from memories import exceptions as errors
from memories.serializers import (
    MemoryIdQuerySerializer,
    MemoryListQuerySerializer,
    MemorySerializer,
    UserMemoryStatsSerializer,
)
from memories.validators import NO_NUL_REGEX, ecma_pattern


@functools.cache
def _error_body(name: str) -> Any:
    """One component per error status, shared by every operation that documents it."""
    return inline_serializer(
        name=name,
        fields={
            "detail": serializers.CharField(help_text="Error detail message"),
            "error_code": serializers.CharField(
                required=False, allow_null=True, help_text="Error code for categorization"
            ),
        },
    )


def _error_response(name: str, status_description: str, detail: str, code: str) -> Any:
    example = OpenApiExample(code, value={"detail": detail, "error_code": code})
    return OpenApiResponse(_error_body(name), description=status_description, examples=[example])


BAD_REQUEST = _error_response(
    "BadRequestResponse",
    "Bad Request",
    "The db_id query parameter is required when passing a table",
    errors.BAD_REQUEST,
)
UNAUTHENTICATED = _error_response(
    "UnauthenticatedResponse", "Unauthorized", "Token is expired", errors.UNAUTHENTICATED
)
DATABASE_UNAVAILABLE_RESPONSE = _error_response(
    "DatabaseUnavailableResponse",
    "Service Unavailable",
    "Database unreachable (pg/agno_memories): counted 3 memories in the others; nothing was "
    "deleted",
    errors.DATABASE_UNAVAILABLE,
)
FORBIDDEN = _error_response(
    "ForbiddenResponse",
    "Forbidden",
    "This token lacks the scope this operation requires",
    errors.FORBIDDEN,
)
PAYLOAD_TOO_LARGE = _error_response(
    "PayloadTooLargeResponse",
    "Request body too large",
    "The request body may not exceed 2097152 bytes",
    errors.PAYLOAD_TOO_LARGE,
)
TOO_MANY_REQUESTS = _error_response(
    "TooManyRequestsResponse",
    "Too many requests",
    "Request was throttled. Expected available in 12 seconds.",
    errors.TOO_MANY_REQUESTS,
)
NOT_IMPLEMENTED = _error_response(
    "NotImplementedResponse",
    "Not Implemented",
    "This server administers memories only; it does not provide memory optimization "
    "(Agno's optimize_memories), which needs a model",
    errors.NOT_IMPLEMENTED,
)
EXPORTS_BUSY_RESPONSE = _error_response(
    "ExportsBusyResponse",
    "Too many exports",
    "Too many exports are running (2 at most per server process); try again when one has finished",
    errors.EXPORTS_BUSY,
)
VALIDATION_ERROR = _error_response(
    "ValidationErrorResponse",
    "Validation Error",
    "user_id: Ensure this field has no more than 255 characters.",
    errors.VALIDATION_ERROR,
)


def not_found(description: str) -> Any:
    return _error_response("NotFoundResponse", description, "Memory not found", errors.NOT_FOUND)


def internal_error(description: str) -> Any:
    """A 500: a bug or a database failure; a statement cut by MEMORIES["STATEMENT_TIMEOUT"]
    has a code of its own."""
    examples = [
        OpenApiExample(code, value={"detail": detail, "error_code": code})
        for code, detail in (
            (errors.INTERNAL_SERVER_ERROR, "Internal server error"),
            (errors.STATEMENT_TIMEOUT, "The database did not answer within 30 seconds"),
        )
    ]
    return OpenApiResponse(
        _error_body("InternalServerErrorResponse"), description=description, examples=examples
    )


def string_rules(field: serializers.CharField) -> dict[str, Any]:
    """What a string field accepts, read from the field: its lengths and its pattern (a NUL
    rule is a pattern too)."""
    rules: dict[str, Any] = {}
    if field.min_length:
        rules["minLength"] = field.min_length
    if field.max_length is not None:
        rules["maxLength"] = field.max_length
    for validator in field.validators:
        if isinstance(validator, RegexValidator):
            rules["pattern"] = ecma_pattern(re.compile(validator.regex).pattern)
        elif isinstance(validator, ProhibitNullCharactersValidator):
            rules.setdefault("pattern", ecma_pattern(NO_NUL_REGEX))
    return rules


def string_schema(field: serializers.Field[Any, Any, Any, Any]) -> dict[str, Any]:
    """The schema of a string field."""
    if not isinstance(field, serializers.CharField):
        raise TypeError(f"{field!r} is no string field")
    return {"type": "string", **string_rules(field)}


# What every operation on one db_id and table may answer besides its own statuses.
TARGET_ERRORS = {
    400: BAD_REQUEST,
    401: UNAUTHENTICATED,
    404: not_found("Database or table not found"),
    422: VALIDATION_ERROR,
}

# The fields the query parameters are read from: the serializers the views validate with.
_QUERY_FIELDS = MemoryListQuerySerializer().fields
_PATH_FIELDS = MemoryIdQuerySerializer().fields

FieldKind = TypeVar("FieldKind", bound=serializers.Field[Any, Any, Any, Any])


def _query_field(name: str, kind: type[FieldKind]) -> FieldKind:
    field = _QUERY_FIELDS[name]
    if not isinstance(field, kind):
        raise TypeError(f"the {name} query parameter is no {kind.__name__}")
    return field


def _title(name: str) -> str:
    return name.replace("_", " ").title()


def nullable_query(name: str, description: str) -> OpenApiParameter:
    """An optional string query parameter, as Agno's AgentOS documents them (a string or
    null), with the rules of its field."""
    return OpenApiParameter(
        name,
        {"anyOf": [string_schema(_QUERY_FIELDS[name]), {"type": "null"}], "title": _title(name)},
        OpenApiParameter.QUERY,
        required=False,
        description=description,
    )


def path_memory_id(description: str) -> OpenApiParameter:
    return OpenApiParameter(
        "memory_id",
        {**string_schema(_PATH_FIELDS["memory_id"]), "title": "Memory Id"},
        OpenApiParameter.PATH,
        description=description,
    )


def target_parameters(purpose: str) -> list[OpenApiParameter]:
    return [
        nullable_query("db_id", f"Database ID to use for {purpose}"),
        nullable_query("table", f"Table to use for {purpose}"),
    ]


def one_memory_parameters(memory_id: str, user_id: str, purpose: str) -> list[OpenApiParameter]:
    """The parameters of an operation on one memory, described for that operation."""
    return [
        path_memory_id(memory_id),
        nullable_query("user_id", user_id),
        *target_parameters(purpose),
    ]


def _integer_query(name: str, description: str) -> OpenApiParameter:
    field = _query_field(name, serializers.IntegerField)
    schema = {"type": "integer", "minimum": field.min_value}
    if field.max_value is not None:
        schema["maximum"] = field.max_value
    return OpenApiParameter(
        name, {**schema, "default": field.default}, OpenApiParameter.QUERY, description=description
    )


def page_parameters(what: str) -> list[OpenApiParameter]:
    limit = _query_field("limit", serializers.IntegerField)
    return [
        _integer_query(
            "limit", f"Number of {what} per page ({limit.min_value} to {limit.max_value})"
        ),
        _integer_query("page", "Page number, starting at 1"),
    ]


def choice_query(name: str, description: str) -> OpenApiParameter:
    field = _query_field(name, serializers.ChoiceField)
    return OpenApiParameter(
        name,
        {"type": "string", "enum": list(field.choices), "default": field.default},
        OpenApiParameter.QUERY,
        description=description,
    )


def topics_query() -> OpenApiParameter:
    field = _query_field("topics", serializers.ListField)
    return OpenApiParameter(
        "topics",
        {"type": "array", "items": string_schema(field.child), "maxItems": field.max_length},
        OpenApiParameter.QUERY,
        description=(
            "Only memories having every listed topic: repeat the parameter or "
            f"separate topics with commas (at most {field.max_length} topics in all)"
        ),
        explode=True,
    )


PAGINATION = inline_serializer(
    name="PaginationInfo",
    fields={
        "page": serializers.IntegerField(help_text="Current page number (1-indexed)"),
        "limit": serializers.IntegerField(help_text="Number of items per page"),
        "total_count": serializers.IntegerField(help_text="Total count of items"),
        "total_pages": serializers.IntegerField(help_text="Total number of pages"),
    },
)
PAGINATED_MEMORIES = inline_serializer(
    name="PaginatedMemoryResponse",
    fields={"data": MemorySerializer(many=True), "meta": PAGINATION},
)
PAGINATED_STATS = inline_serializer(
    name="PaginatedUserMemoryStatsResponse",
    fields={"data": UserMemoryStatsSerializer(many=True), "meta": PAGINATION},
)
MEMORY_EXAMPLE = {
    "memory_id": "6f1c2d3e-0b7a-4c55-9d0e-2a4b8c9e1f00",
    "memory": "Prefers vegetarian recipes",
    "topics": ["food", "preferences"],
    "agent_id": "chef",
    "team_id": None,
    "user_id": "alice",
    "updated_at": "2026-11-28T19:27:52Z",
    "created_at": "2026-11-28T19:27:52Z",
}
