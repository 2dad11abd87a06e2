"""OpenAPI documentation of the memory API (drf-spectacular extensions and decorators)."""

import functools
from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension, OpenApiSerializerExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import (
    OpenApiExample,
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
    inline_serializer,
)
from rest_framework import serializers

from memories import exceptions as errors
from memories.conf import memories_settings
from memories.selectors import SORT_FIELDS
from memories.serializers import (
    FILTER_FIELDS,
    MAX_MEMORY_LENGTH,
    MAX_TOPIC_LENGTH,
    MAX_TOPICS,
    MemoriesDeleteSerializer,
    MemorySerializer,
    MemoryWriteSerializer,
    UserMemoryStatsSerializer,
)
from memories.validators import IDENTIFIER_REGEX, MAX_IDENTIFIER_LENGTH, TEXT_REGEX, ecma_pattern


class MemoryAutoSchema(AutoSchema):
    """Documents 403 when scopes are enforced and 429 when throttling is on, only then."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if memories_settings.REQUIRE_SCOPES and "403" not in responses:
            responses["403"] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                FORBIDDEN, "403", direction=direction
            )
        if memories_settings.THROTTLE_RATE and "429" not in responses:
            responses["429"] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                TOO_MANY_REQUESTS, "429", direction=direction
            )
        return dict(sorted(responses.items()))

    def _get_request_body(self, direction: str = "request") -> Any:
        # spectacular documents the bodies of PUT, PATCH and POST only; the bulk delete's is
        # documented (and required) as a POST's would be.
        if self.method != "DELETE" or self.get_request_serializer() is None:
            return super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        self.method = "POST"
        try:
            return super()._get_request_body(direction)  # type: ignore[no-untyped-call]
        finally:
            self.method = "DELETE"


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    # spectacular's own simplejwt scheme does not match subclasses: declare ours.
    target_class = "memories.authentication.BearerTokenAuthentication"
    name = "HTTPBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


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


# What IdentifierField accepts: 1 to 255 characters, no control characters.
IDENTIFIER = {
    "type": "string",
    "minLength": 1,
    "maxLength": MAX_IDENTIFIER_LENGTH,
    "pattern": ecma_pattern(IDENTIFIER_REGEX),
}
# What TextField accepts: up to max_length characters, not blank, no NUL.
TEXT = {"type": "string", "maxLength": MAX_MEMORY_LENGTH, "pattern": ecma_pattern(TEXT_REGEX)}


def _nullable_query(
    name: str, title: str, description: str, text: dict[str, Any] = IDENTIFIER
) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {"anyOf": [text, {"type": "null"}], "title": title},
        OpenApiParameter.QUERY,
        required=False,
        description=description,
    )


BAD_REQUEST = _error_response(
    "BadRequestResponse",
    "Bad Request",
    "The db_id query parameter is required when passing a table",
    errors.BAD_REQUEST,
)
UNAUTHENTICATED = _error_response(
    "UnauthenticatedResponse", "Unauthorized", "Token is expired", errors.UNAUTHENTICATED
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
VALIDATION_ERROR = _error_response(
    "ValidationErrorResponse",
    "Validation Error",
    "user_id: Ensure this field has no more than 255 characters.",
    errors.VALIDATION_ERROR,
)


def _not_found(description: str) -> Any:
    return _error_response("NotFoundResponse", description, "Memory not found", errors.NOT_FOUND)


def _internal_error(description: str) -> Any:
    return _error_response(
        "InternalServerErrorResponse",
        description,
        "Internal server error",
        errors.INTERNAL_SERVER_ERROR,
    )


def _path_memory_id(description: str) -> OpenApiParameter:
    return OpenApiParameter(
        "memory_id",
        {**IDENTIFIER, "title": "Memory Id"},
        OpenApiParameter.PATH,
        description=description,
    )


def _target_parameters(purpose: str) -> list[OpenApiParameter]:
    return [
        _nullable_query("db_id", "Db Id", f"Database ID to use for {purpose}"),
        _nullable_query("table", "Table", f"Table to use for {purpose}"),
    ]


def _page_parameters(what: str) -> list[OpenApiParameter]:
    return [
        OpenApiParameter(
            "limit",
            {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
            OpenApiParameter.QUERY,
            description=f"Number of {what} per page (1 to 100)",
        ),
        OpenApiParameter(
            "page",
            {"type": "integer", "minimum": 1, "default": 1},
            OpenApiParameter.QUERY,
            description="Page number, starting at 1",
        ),
    ]


PAGINATION = inline_serializer(
    name="PaginationInfo",
    fields={
        "page": serializers.IntegerField(help_text="Current page number (1-indexed)"),
        "limit": serializers.IntegerField(help_text="Number of items per page"),
        "total_count": serializers.IntegerField(help_text="Total count of items"),
        "total_pages": serializers.IntegerField(help_text="Total number of pages"),
    },
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
TARGET_ERRORS = {
    400: BAD_REQUEST,
    401: UNAUTHENTICATED,
    404: _not_found("Database or table not found"),
    422: VALIDATION_ERROR,
}


memory_viewset_schema = extend_schema_view(
    list_memories=extend_schema(
        operation_id="get_memories",
        summary="List Memories",
        description=(
            "List the memories the caller may see, filtered (every filter must match), "
            "sorted and paginated. A regular token sees its own memories only; an admin "
            "sees every memory and may filter by user_id. Ties are broken by memory_id, "
            "so pages never overlap."
        ),
        tags=["Memory"],
        parameters=[
            _nullable_query("user_id", "User Id", "Filter memories by user ID"),
            _nullable_query("agent_id", "Agent Id", "Filter memories by agent ID"),
            _nullable_query("team_id", "Team Id", "Filter memories by team ID"),
            OpenApiParameter(
                "topics",
                {
                    "type": "array",
                    "items": {
                        "type": "string",
                        "maxLength": MAX_TOPIC_LENGTH,
                        "pattern": "^[^\\x00]*$",
                    },
                    "maxItems": MAX_TOPICS,
                },
                OpenApiParameter.QUERY,
                description=(
                    "Only memories having every listed topic: repeat the parameter or "
                    f"separate topics with commas (at most {MAX_TOPICS} topics in all)"
                ),
                explode=True,
            ),
            _nullable_query(
                "search_content",
                "Search Content",
                "Case-insensitive substring of the memory text, trimmed",
                TEXT,
            ),
            *_page_parameters("memories"),
            OpenApiParameter(
                "sort_by",
                {"type": "string", "enum": list(SORT_FIELDS), "default": "updated_at"},
                OpenApiParameter.QUERY,
                description="Field to sort memories by",
            ),
            OpenApiParameter(
                "sort_order",
                {"type": "string", "enum": ["asc", "desc"], "default": "desc"},
                OpenApiParameter.QUERY,
                description="Sort order",
            ),
            *_target_parameters("the query"),
        ],
        responses={
            200: OpenApiResponse(
                inline_serializer(
                    name="PaginatedMemoryResponse",
                    fields={"data": MemorySerializer(many=True), "meta": PAGINATION},
                ),
                description="Memories retrieved successfully",
                examples=[
                    OpenApiExample(
                        "Memories",
                        value={
                            "data": [MEMORY_EXAMPLE],
                            "meta": {"page": 1, "limit": 20, "total_count": 1, "total_pages": 1},
                        },
                    )
                ],
            ),
            **TARGET_ERRORS,
            500: _internal_error("Failed to list memories"),
        },
    ),
    retrieve=extend_schema(
        operation_id="get_memory",
        summary="Get Memory",
        description="Get one memory the caller may see.",
        tags=["Memory"],
        parameters=[
            _path_memory_id("Memory ID to retrieve"),
            _nullable_query("user_id", "User Id", "User ID to query memory for"),
            *_target_parameters("the query"),
        ],
        responses={
            200: OpenApiResponse(
                MemorySerializer,
                description="Memory retrieved successfully",
                examples=[OpenApiExample("Memory", value=MEMORY_EXAMPLE)],
            ),
            **TARGET_ERRORS,
            404: _not_found("Memory not found"),
            500: _internal_error("Failed to get memory"),
        },
    ),
    create=extend_schema(
        operation_id="create_memory",
        summary="Create Memory",
        description=(
            "Create a memory. A regular token always creates its own memory, whatever "
            "user_id the body names; an admin must name the owner in user_id (400 without)."
        ),
        tags=["Memory"],
        parameters=_target_parameters("memory storage"),
        request=MemoryWriteSerializer,
        examples=[
            OpenApiExample(
                "New memory",
                value={"memory": "Prefers vegetarian recipes", "topics": ["food"]},
                request_only=True,
            )
        ],
        responses={
            201: OpenApiResponse(
                MemorySerializer,
                description="Memory created successfully",
                examples=[OpenApiExample("Created", value=MEMORY_EXAMPLE, response_only=True)],
            ),
            **TARGET_ERRORS,
            413: PAYLOAD_TOO_LARGE,
            500: _internal_error("Failed to create memory"),
        },
    ),
    partial_update=extend_schema(
        operation_id="update_memory",
        summary="Update Memory",
        description=(
            "Change the text, topics, agent_id or team_id of one memory. Only the given "
            "fields change; the owner never does (a user_id in the body or the query "
            "string only selects the memory). An unknown id is 404: nothing is created."
        ),
        tags=["Memory"],
        parameters=[
            _path_memory_id("Memory ID to update"),
            _nullable_query("user_id", "User Id", "User ID the memory must belong to"),
            *_target_parameters("the update"),
        ],
        request=MemoryWriteSerializer(partial=True),
        responses={
            200: OpenApiResponse(MemorySerializer, description="Memory updated successfully"),
            **TARGET_ERRORS,
            404: _not_found("Memory not found"),
            413: PAYLOAD_TOO_LARGE,
            500: _internal_error("Failed to update memory"),
        },
    ),
    destroy=extend_schema(
        operation_id="delete_memory",
        summary="Delete Memory",
        description="Permanently delete a specific user memory. This action cannot be undone.",
        tags=["Memory"],
        parameters=[
            _path_memory_id("Memory ID to delete"),
            _nullable_query("user_id", "User Id", "User ID to delete memory for"),
            *_target_parameters("deletion"),
        ],
        request=None,
        responses={
            204: OpenApiResponse(description="Memory deleted successfully"),
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            404: _not_found("Memory not found"),
            422: VALIDATION_ERROR,
            500: _internal_error("Failed to delete memory"),
        },
    ),
    bulk_destroy=extend_schema(
        operation_id="delete_memories",
        summary="Delete Multiple Memories",
        description=(
            "Permanently delete 1 to 1000 memories in one transaction. Only the memories "
            "the caller owns (or, for an admin, those of user_id when given) are deleted; "
            "other ids are ignored. This action cannot be undone."
        ),
        tags=["Memory"],
        parameters=_target_parameters("deletion"),
        request=MemoriesDeleteSerializer,
        examples=[
            OpenApiExample(
                "Two memories",
                value={"memory_ids": ["6f1c2d3e-0b7a-4c55-9d0e-2a4b8c9e1f00", "m-2"]},
                request_only=True,
            )
        ],
        responses={
            204: OpenApiResponse(description="Memories deleted successfully"),
            **TARGET_ERRORS,
            413: PAYLOAD_TOO_LARGE,
            500: _internal_error("Failed to delete memories"),
        },
    ),
    topics=extend_schema(
        operation_id="get_memory_topics",
        summary="Get Memory Topics",
        description="The distinct topics of the memories the caller may see, sorted.",
        tags=["Memory"],
        parameters=[
            _nullable_query("user_id", "User Id", "User ID to filter topics for"),
            *_target_parameters("the query"),
        ],
        responses={
            200: OpenApiResponse(
                {"type": "array", "items": {"type": "string"}},
                description="Memory topics retrieved successfully",
                examples=[OpenApiExample("Topics", value=["food", "preferences"])],
            ),
            **TARGET_ERRORS,
            500: _internal_error("Failed to get memory topics"),
        },
    ),
    stats=extend_schema(
        operation_id="get_user_memory_stats",
        summary="Get User Memory Statistics",
        description=(
            "The number of memories of each user and their latest update, most recently "
            "updated first. A regular token sees its own statistics only."
        ),
        tags=["Memory"],
        parameters=[
            _nullable_query("user_id", "User Id", "User ID to filter statistics for"),
            *_page_parameters("users"),
            *_target_parameters("the query"),
        ],
        responses={
            200: OpenApiResponse(
                inline_serializer(
                    name="PaginatedUserMemoryStatsResponse",
                    fields={"data": UserMemoryStatsSerializer(many=True), "meta": PAGINATION},
                ),
                description="User statistics retrieved successfully",
            ),
            **TARGET_ERRORS,
            500: _internal_error("Failed to get user statistics"),
        },
    ),
)


class DeletionFilterScheme(OpenApiSerializerExtension):
    """The body of a deletion by filter names at least one filter: `anyOf` the required ones,
    which a serializer cannot say (its validate() enforces it)."""

    target_class = "memories.serializers.DeletionFilterSerializer"

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        # What drf-spectacular itself calls for a serializer, as its contrib extensions do.
        schema: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)  # type: ignore[no-untyped-call]
        schema["anyOf"] = [{"required": [name]} for name in FILTER_FIELDS]
        return schema
