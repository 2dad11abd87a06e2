"""OpenAPI documentation of the memory API (drf-spectacular extensions and decorators)."""

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
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


class MemoryAutoSchema(AutoSchema):
    """Documents 403 on every operation when scopes are enforced, and only then."""

    def _get_response_bodies(self, direction: Any = "response") -> dict[str, Any]:
        responses: dict[str, Any] = super()._get_response_bodies(direction)
        if memories_settings.REQUIRE_SCOPES and "403" not in responses:
            responses["403"] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                FORBIDDEN, "403", direction=direction
            )
        return dict(sorted(responses.items()))


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    # spectacular's own simplejwt scheme does not match subclasses: declare ours.
    target_class = "memories.authentication.BearerTokenAuthentication"
    name = "HTTPBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


def _error_response(name: str, status_description: str, detail: str, code: str) -> Any:
    body = inline_serializer(
        name=name,
        fields={
            "detail": serializers.CharField(help_text="Error detail message"),
            "error_code": serializers.CharField(
                required=False, allow_null=True, help_text="Error code for categorization"
            ),
        },
    )
    example = OpenApiExample(code, value={"detail": detail, "error_code": code})
    return OpenApiResponse(body, description=status_description, examples=[example])


def _nullable_query(name: str, title: str, description: str) -> OpenApiParameter:
    return OpenApiParameter(
        name,
        {"anyOf": [{"type": "string"}, {"type": "null"}], "title": title},
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


memory_viewset_schema = extend_schema_view(
    destroy=extend_schema(
        operation_id="delete_memory",
        summary="Delete Memory",
        description="Permanently delete a specific user memory. This action cannot be undone.",
        tags=["Memory"],
        parameters=[
            OpenApiParameter(
                "memory_id",
                {"type": "string", "title": "Memory Id"},
                OpenApiParameter.PATH,
                description="Memory ID to delete",
            ),
            _nullable_query("user_id", "User Id", "User ID to delete memory for"),
            _nullable_query("db_id", "Db Id", "Database ID to use for deletion"),
            _nullable_query("table", "Table", "Table to use for deletion"),
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
)
