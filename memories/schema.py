"""How drf-spectacular documents the memory API: its schema class, the `documented` decorator
that every operation's documentation goes through, and the extensions that derive schemas
from our fields, serializers and authentication."""

from collections.abc import Callable, Mapping
from typing import Any, TypeVar

from drf_spectacular.extensions import (
    OpenApiAuthenticationExtension,
    OpenApiSerializerExtension,
    OpenApiSerializerFieldExtension,
)
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import build_examples_list, build_media_type_object, force_instance
from drf_spectacular.utils import extend_schema

from memories.conf import memories_settings
from memories.permissions import HasRequiredScope
from memories.schema_parts import FORBIDDEN, TOO_MANY_REQUESTS, string_schema
from memories.serializers import FILTER_FIELDS

ViewMethod = TypeVar("ViewMethod", bound=Callable[..., Any])


class MemoryAutoSchema(AutoSchema):
    """The schema class of every memory view, whatever the host's DEFAULT_SCHEMA_CLASS.

    Documents 403 where the view checks scopes and they are enforced, and 429 where it is
    throttled and throttling is on: both depend on settings read when the document is made.
    """

    # An operation's documented responses, set by `documented`.
    documented_responses: Mapping[Any, Any] = {}

    def get_response_serializers(self) -> Any:
        if not self.documented_responses:
            return super().get_response_serializers()
        responses = {**self.documented_responses}
        for status, response in self.configured_responses().items():
            responses.setdefault(status, response)
        return dict(sorted(responses.items(), key=lambda item: _status_of(item[0])))

    def configured_responses(self) -> dict[int, Any]:
        """The statuses this view answers only under some settings, when they are on."""
        responses = {}
        if memories_settings.REQUIRE_SCOPES and HasRequiredScope in self.view.permission_classes:
            responses[403] = FORBIDDEN
        if memories_settings.THROTTLE_RATE and self.view.throttle_classes:
            responses[429] = TOO_MANY_REQUESTS
        return responses

    def get_operation(
        self, path: str, path_regex: str, path_prefix: str, method: str, registry: Any
    ) -> dict[str, Any] | None:
        operation: dict[str, Any] | None = super().get_operation(
            path, path_regex, path_prefix, method, registry
        )
        if operation is not None and self.method == "DELETE" and "requestBody" not in operation:
            body = self.delete_request_body()
            if body is not None:
                operation["requestBody"] = body
        return operation

    def delete_request_body(self) -> dict[str, Any] | None:
        """The body of a DELETE that takes one (the bulk delete), documented and required as a
        POST's would be: drf-spectacular documents bodies of PUT, PATCH and POST only, as
        OpenAPI 3.0 allowed no other; 3.1 allows it."""
        serializer = self.get_request_serializer()
        if serializer is None:
            return None
        schema = self.resolve_serializer(
            force_instance(serializer),  # type: ignore[no-untyped-call]
            "request",
        ).ref
        examples = build_examples_list(
            [example for example in self.get_examples() if not example.response_only]
        )
        return {
            "content": {
                media_type: build_media_type_object(schema, examples)
                for media_type in self.map_parsers()
            },
            "required": True,
        }


def _status_of(code: Any) -> str:
    # A response key is a status, or a (status, media type) pair.
    return str(code[0] if isinstance(code, tuple) else code)


def documented(
    *, responses: Mapping[Any, Any], **options: Any
) -> Callable[[ViewMethod], ViewMethod]:
    """`extend_schema` for one operation of the memory API, tagged Memory.

    extend_schema builds on the DEFAULT_SCHEMA_CLASS of the host when it decorates a view
    method, which may be DRF's own schema class: the method names its base schema class
    first (where drf-spectacular looks for it), so the host's setting never matters.
    """
    schema_class = type(
        "DocumentedMemorySchema", (MemoryAutoSchema,), {"documented_responses": responses}
    )

    def decorate(method: ViewMethod) -> ViewMethod:
        method.kwargs = {**getattr(method, "kwargs", {}), "schema": schema_class}  # type: ignore[attr-defined]
        decorated: ViewMethod = extend_schema(**{"tags": ["Memory"], **options})(method)
        return decorated

    return decorate


class StrictCharFieldScheme(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """Identifiers, texts and topics with the rules their field enforces, spelled as the query
    parameters spell them (drf-spectacular omits the NUL rule). drf-spectacular adds what
    every field has: nullability, help text, default."""

    target_class = "memories.serializers.StrictCharField"
    match_subclasses = True

    def map_serializer_field(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        return string_schema(self.target)


class BearerTokenScheme(OpenApiAuthenticationExtension):  # type: ignore[no-untyped-call]
    # spectacular's own simplejwt scheme does not match subclasses: declare ours.
    target_class = "memories.authentication.BearerTokenAuthentication"
    name = "HTTPBearer"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}


class DeletionFilterScheme(OpenApiSerializerExtension):
    """The body of a deletion by filter names at least one filter: `anyOf` the required ones,
    which a serializer cannot say (its validate() enforces it)."""

    target_class = "memories.serializers.DeletionFilterSerializer"

    def map_serializer(self, auto_schema: AutoSchema, direction: Any) -> dict[str, Any]:
        # What drf-spectacular itself calls for a serializer, as its contrib extensions do.
        schema: dict[str, Any] = auto_schema._map_basic_serializer(self.target, direction)  # type: ignore[no-untyped-call]
        schema["anyOf"] = [{"required": [name]} for name in FILTER_FIELDS]
        return schema
