"""The thin API edge: parse the request, call one service, render the result."""

import functools
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import action
from rest_framework.metadata import SimpleMetadata
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.schemas.inspectors import ViewInspector
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSetMixin

from memories.authentication import BearerTokenAuthentication
from memories.conf import memories_settings
from memories.drf_defaults import MemoryJSONRenderer, drf_defaults
from memories.exception_handlers import APIErrorsMixin
from memories.exceptions import (
    BadRequest,
    NotFound,
    NotProvided,
    PayloadTooLarge,
    ValidationFailed,
)
from memories.identifier_params import accepted_identifiers
from memories.models import Channel
from memories.negotiation import AnyMediaTypeNegotiation
from memories.owners import NOBODY, Owner
from memories.parsers import BoundedJSONParser, refuse_non_text_charset, refuse_unframed_body
from memories.permissions import (
    DELETE_SCOPE,
    READ_SCOPE,
    WRITE_SCOPE,
    HasRequiredScope,
    IsTokenAuthenticated,
)
from memories.responses import no_content
from memories.schema import MemoryAutoSchema, documented
from memories.schema_parts import (
    MEMORY_EXAMPLE,
    PAGINATED_MEMORIES,
    PAGINATED_STATS,
    PAYLOAD_TOO_LARGE,
    TARGET_ERRORS,
    choice_query,
    internal_error,
    not_found,
    nullable_query,
    one_memory_parameters,
    page_parameters,
    target_parameters,
    topics_query,
)
from memories.selectors import Page, memory_get, memory_list
from memories.serializers import (
    MemoriesDeleteSerializer,
    MemoryIdQuerySerializer,
    MemoryListQuerySerializer,
    MemorySerializer,
    MemoryWriteSerializer,
    OwnerQuerySerializer,
    PageQuerySerializer,
    TargetQuerySerializer,
    UserMemoryStatsSerializer,
)
from memories.services import memories_delete, memory_create, memory_delete, memory_update
from memories.statement_limits import statement_time_limit
from memories.summaries import visible_topics, visible_user_stats
from memories.targets import MemoryTarget, resolve_target
from memories.throttling import SubjectRateThrottle
from memories.tokens import TokenPrincipal
from memories.transactions import in_own_transactions

if TYPE_CHECKING:
    from rest_framework.decorators import ViewSetAction
    from rest_framework.permissions import _PermissionClass
    from rest_framework.views import AsView, GenericView


@functools.cache
def _shared_serializer(
    serializer_class: type[serializers.Serializer[Any]],
) -> tuple[serializers.Serializer[Any], list[tuple[str, bool]]]:
    """One instance of a query or body serializer, and each of its fields with whether it
    takes a list. These serializers keep no state between validations (no context, no
    instance, no `validate` hook but one that reads only its arguments), so one instance
    per class serves every request: building one and copying its fields costs more than
    validating a delete's parameters (BENCHMARKS.md)."""
    serializer = serializer_class()
    fields = [
        (name, isinstance(field, serializers.ListField))
        for name, field in serializer.fields.items()
    ]
    return serializer, fields


def validated_params(
    serializer_class: type[serializers.Serializer[Any]],
    request: Request,
    **path: str,
) -> dict[str, Any]:
    """The query parameters a serializer declares, plus path values, validated.

    A list parameter may repeat or be comma-separated (`topics=a,b&topics=c`); any other
    parameter given twice is contradictory.
    """
    serializer, fields = _shared_serializer(serializer_class)
    data: dict[str, Any] = dict(path)
    for name, is_list in fields:
        if name in path:
            continue  # a path value: a query parameter of that name is no parameter of ours
        values = request.query_params.getlist(name)
        if is_list:
            if values:
                data[name] = values  # the field splits and trims them
            continue
        if len(values) > 1:
            raise BadRequest(
                gettext("The %(name)s query parameter may be given only once") % {"name": name}
            )
        if values:
            data[name] = values[0]
    accepted = accepted_identifiers(serializer_class, data)
    if accepted is not None:
        return accepted
    # What is_valid(raise_exception=True) raises, without storing results on the instance.
    return dict(serializer.run_validation(data))


def validated_body(serializer_class: type[serializers.Serializer[Any]], request: Request) -> Any:
    """The JSON object in the request body, validated; unknown keys are ignored."""
    if not isinstance(request.data, Mapping):
        raise ValidationFailed(gettext("The request body must be a JSON object."))
    serializer, _fields = _shared_serializer(serializer_class)
    # What is_valid(raise_exception=True) raises, without storing results on the instance.
    return serializer.run_validation(request.data)


def merged_user_id(query: Mapping[str, Any], body: Mapping[str, Any]) -> str | None:
    """The user_id of the query string or the body; both given must agree."""
    in_query, in_body = query.get("user_id"), body.get("user_id")
    if in_query is not None and in_body is not None and in_query != in_body:
        raise BadRequest(gettext("The user_id of the query string and of the body differ"))
    return in_query if in_query is not None else in_body


class MemoryAPIView(APIErrorsMixin, APIView):
    """What every memory endpoint shares: bearer JWTs, JSON only, the error body."""

    authentication_classes: Sequence[type[BaseAuthentication]] = [BearerTokenAuthentication]
    permission_classes: Sequence["_PermissionClass"] = [IsTokenAuthenticated, HasRequiredScope]
    throttle_classes: Sequence[type[BaseThrottle]] = [SubjectRateThrottle]
    renderer_classes: Sequence[type[BaseRenderer]] = [MemoryJSONRenderer]
    parser_classes: Sequence[type[BaseParser]] = [BoundedJSONParser]
    content_negotiation_class = AnyMediaTypeNegotiation
    # Neither the host's versioning nor its metadata: the API has one version, OPTIONS one
    # answer.
    versioning_class = None
    metadata_class = SimpleMetadata
    # DRF's own settings, not the host's REST_FRAMEWORK (memories/drf_defaults.py).
    settings = drf_defaults
    # drf-spectacular's, whatever the host's DEFAULT_SCHEMA_CLASS.
    schema: ViewInspector | None = MemoryAutoSchema()

    # The methods of the API document, and HEAD wherever GET is (HTTP requires it). DRF's
    # OPTIONS (its metadata) and TRACE are no part of the document: a 405 as any other.
    http_method_names = ["get", "post", "patch", "delete", "head"]

    # Scopes each action needs when MEMORIES["REQUIRE_SCOPES"] is on.
    action_scopes: dict[str, str] = {}

    @classmethod
    def as_view(cls, **initkwargs: Any) -> "AsView[GenericView]":
        # Each deletion, each batch, commits on its own: not in a host's ATOMIC_REQUESTS.
        return in_own_transactions(super().as_view(**initkwargs))

    def required_scope(self) -> str | None:
        return self.action_scopes.get(getattr(self, "action", None) or "")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        # Before anything else, a token included: a method is allowed or not whoever asks,
        # on a route that answers 501 too. (A path with no method at all is no route: its
        # view says so.) Then a charset that nothing can be decoded with, before DRF's
        # negotiation reads the query string.
        allowed = self.allowed_methods
        if allowed and request.method not in allowed:
            self.headers["Allow"] = ", ".join(allowed)
            self.http_method_not_allowed(request)
        refuse_non_text_charset(request)
        super().initial(request, *args, **kwargs)
        refuse_unframed_body(request)
        # Refused before the body is read: the limit protects memory, not just parsing.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise BadRequest(gettext("Invalid Content-Length header")) from None
        if len(request.META.get("QUERY_STRING", "")) > memories_settings.MAX_QUERY_LENGTH:
            raise ValidationFailed(
                gettext("The query string may not exceed %(limit)d bytes")
                % {"limit": memories_settings.MAX_QUERY_LENGTH}
            )
        if length > memories_settings.MAX_BODY_SIZE:
            raise PayloadTooLarge(
                gettext("The request body may not exceed %(limit)d bytes")
                % {"limit": memories_settings.MAX_BODY_SIZE}
            )

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        # Every statement of the request, its error handling included, within the limit.
        with statement_time_limit():
            return super().dispatch(request, *args, **kwargs)

    @property
    def principal(self) -> TokenPrincipal:
        principal: TokenPrincipal = self.request.user  # type: ignore[assignment]
        return principal

    def get_owner(self, user_id: str | None) -> Owner:
        """Whose memories this request reaches, given the user_id it asks for.

        A regular token reaches its subject's memories only: asking for another user's
        reaches nobody's, so it finds nothing, exactly as if they did not exist. An admin
        reaches anyone's (None), or narrows to user_id.
        """
        if self.principal.is_admin:
            return user_id
        if user_id is not None and user_id != self.principal.subject:
            return NOBODY
        return self.principal.subject

    def get_target(self, params: Mapping[str, Any]) -> MemoryTarget:
        """The memory table this request names by its db_id and table parameters."""
        return resolve_target(db_id=params.get("db_id"), table=params.get("table"))


class MemoryViewSet(ViewSetMixin, MemoryAPIView):
    """Memories of one database and table, as the caller may see them."""

    @classmethod
    def as_view(
        cls, actions: "dict[str, str | ViewSetAction[Any]] | None" = None, **initkwargs: Any
    ) -> "AsView[GenericView]":
        # ViewSetMixin builds its own view function, without APIView's as_view.
        return in_own_transactions(super().as_view(actions, **initkwargs))

    action_scopes = {
        "list_memories": READ_SCOPE,
        "retrieve": READ_SCOPE,
        "topics": READ_SCOPE,
        "stats": READ_SCOPE,
        "create": WRITE_SCOPE,
        "partial_update": WRITE_SCOPE,
        "destroy": DELETE_SCOPE,
        "bulk_destroy": DELETE_SCOPE,
    }

    # Not named `list`: drf-spectacular would document the paginated object as an array.
    @documented(
        operation_id="get_memories",
        summary="List Memories",
        description=(
            "List the memories the caller may see, filtered (every filter must match), "
            "sorted and paginated. A regular token sees its own memories only; an admin "
            "sees every memory and may filter by user_id. Ties are broken by memory_id, "
            "so pages never overlap."
        ),
        parameters=[
            nullable_query("user_id", "Filter memories by user ID"),
            nullable_query("agent_id", "Filter memories by agent ID"),
            nullable_query("team_id", "Filter memories by team ID"),
            topics_query(),
            nullable_query(
                "search_content", "Case-insensitive substring of the memory text, trimmed"
            ),
            *page_parameters("memories"),
            choice_query("sort_by", "Field to sort memories by"),
            choice_query("sort_order", "Sort order"),
            *target_parameters("the query"),
        ],
        responses={
            200: OpenApiResponse(
                PAGINATED_MEMORIES,
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
            500: internal_error("Failed to list memories"),
        },
    )
    @action(detail=False, methods=["get"])
    def list_memories(self, request: Request) -> Response:
        params = validated_params(MemoryListQuerySerializer, request)
        target = self.get_target(params)
        owner = self.get_owner(params.get("user_id"))
        filters = {k: v for k, v in params.items() if k not in ("db_id", "table", "user_id")}
        page = memory_list(target=target, user_id=owner, **filters)
        return paginated([MemorySerializer(memory).data for memory in page.items], page)

    @documented(
        operation_id="get_memory",
        summary="Get Memory",
        description="Get one memory the caller may see.",
        parameters=one_memory_parameters(
            "Memory ID to retrieve", "User ID to query memory for", "the query"
        ),
        responses={
            200: OpenApiResponse(
                MemorySerializer,
                description="Memory retrieved successfully",
                examples=[OpenApiExample("Memory", value=MEMORY_EXAMPLE)],
            ),
            **TARGET_ERRORS,
            404: not_found("Memory not found"),
            500: internal_error("Failed to get memory"),
        },
    )
    def retrieve(self, request: Request, memory_id: str) -> Response:
        params = validated_params(MemoryIdQuerySerializer, request, memory_id=memory_id)
        target = self.get_target(params)
        memory = memory_get(
            target=target,
            memory_id=params["memory_id"],
            user_id=self.get_owner(params.get("user_id")),
        )
        return Response(MemorySerializer(memory).data)

    @documented(
        operation_id="create_memory",
        summary="Create Memory",
        description=(
            "Create a memory. A regular token always creates its own memory, whatever "
            "user_id the body names; an admin must name the owner in user_id (400 without)."
        ),
        parameters=target_parameters("memory storage"),
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
            500: internal_error("Failed to create memory"),
        },
    )
    def create(self, request: Request) -> Response:
        params = validated_params(TargetQuerySerializer, request)
        body = validated_body(MemoryWriteSerializer, request)
        target = self.get_target(params)
        if self.principal.is_admin:
            owner = body.get("user_id")
            if owner is None:
                raise BadRequest(
                    gettext("%(field)s: %(message)s")
                    % {
                        "field": "user_id",
                        "message": gettext("An admin must name the owner of the memory."),
                    }
                )
        else:
            # A regular token writes its own memories, whatever the body says.
            owner = self.principal.subject
        memory = memory_create(
            target=target,
            memory=body["memory"],
            user_id=owner,
            topics=body.get("topics"),
            agent_id=body.get("agent_id"),
            team_id=body.get("team_id"),
        )
        return Response(MemorySerializer(memory).data, status=201)

    @documented(
        operation_id="update_memory",
        summary="Update Memory",
        description=(
            "Change the text, topics, agent_id or team_id of one memory. Only the given "
            "fields change; the owner never does (a user_id in the body or the query "
            "string only selects the memory). An unknown id is 404: nothing is created."
        ),
        parameters=one_memory_parameters(
            "Memory ID to update", "User ID the memory must belong to", "the update"
        ),
        request=MemoryWriteSerializer(partial=True),
        responses={
            200: OpenApiResponse(MemorySerializer, description="Memory updated successfully"),
            **TARGET_ERRORS,
            404: not_found("Memory not found"),
            413: PAYLOAD_TOO_LARGE,
            500: internal_error("Failed to update memory"),
        },
    )
    def partial_update(self, request: Request, memory_id: str) -> Response:
        params = validated_params(MemoryIdQuerySerializer, request, memory_id=memory_id)
        serializer = MemoryWriteSerializer(data=request.data, partial=True)
        if not isinstance(request.data, Mapping):
            raise ValidationFailed(gettext("The request body must be a JSON object."))
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        target = self.get_target(params)
        memory = memory_update(
            target=target,
            memory_id=params["memory_id"],
            user_id=self.get_owner(merged_user_id(params, changes)),
            changes=changes,
        )
        return Response(MemorySerializer(memory).data)

    @documented(
        operation_id="delete_memory",
        summary="Delete Memory",
        description="Permanently delete a specific user memory. This action cannot be undone.",
        parameters=one_memory_parameters(
            "Memory ID to delete", "User ID to delete memory for", "deletion"
        ),
        request=None,
        responses={
            204: OpenApiResponse(description="Memory deleted successfully"),
            400: TARGET_ERRORS[400],
            401: TARGET_ERRORS[401],
            404: not_found("Memory not found"),
            422: TARGET_ERRORS[422],
            500: internal_error("Failed to delete memory"),
        },
    )
    def destroy(self, request: Request, memory_id: str) -> HttpResponse:
        params = validated_params(MemoryIdQuerySerializer, request, memory_id=memory_id)
        target = self.get_target(params)
        memory_delete(
            target=target,
            memory_id=params["memory_id"],
            user_id=self.get_owner(params.get("user_id")),
            actor=self.principal.subject,
            channel=Channel.API,
        )
        return no_content()

    @documented(
        operation_id="delete_memories",
        summary="Delete Multiple Memories",
        description=(
            "Permanently delete 1 to 1000 memories in one transaction. Only the memories "
            "the caller owns (or, for an admin, those of user_id when given) are deleted; "
            "other ids are ignored. This action cannot be undone."
        ),
        parameters=target_parameters("deletion"),
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
            500: internal_error("Failed to delete memories"),
        },
    )
    @action(detail=False, methods=["delete"])
    def bulk_destroy(self, request: Request) -> HttpResponse:
        params = validated_params(OwnerQuerySerializer, request)
        body = validated_body(MemoriesDeleteSerializer, request)
        target = self.get_target(params)
        memories_delete(
            target=target,
            memory_ids=body["memory_ids"],
            user_id=self.get_owner(merged_user_id(params, body)),
            actor=self.principal.subject,
            channel=Channel.API,
        )
        return no_content()

    @documented(
        operation_id="get_memory_topics",
        summary="Get Memory Topics",
        description="The distinct topics of the memories the caller may see, sorted.",
        parameters=[
            nullable_query("user_id", "User ID to filter topics for"),
            *target_parameters("the query"),
        ],
        responses={
            200: OpenApiResponse(
                {"type": "array", "items": {"type": "string"}},
                description="Memory topics retrieved successfully",
                examples=[OpenApiExample("Topics", value=["food", "preferences"])],
            ),
            **TARGET_ERRORS,
            500: internal_error("Failed to get memory topics"),
        },
    )
    @action(detail=False, methods=["get"])
    def topics(self, request: Request) -> Response:
        params = validated_params(OwnerQuerySerializer, request)
        target = self.get_target(params)
        owner = self.get_owner(params.get("user_id"))
        return Response(visible_topics(target=target, user_id=owner))

    @documented(
        operation_id="get_user_memory_stats",
        summary="Get User Memory Statistics",
        description=(
            "The number of memories of each user and their latest update, most recently "
            "updated first. A regular token sees its own statistics only."
        ),
        parameters=[
            nullable_query("user_id", "User ID to filter statistics for"),
            *page_parameters("users"),
            *target_parameters("the query"),
        ],
        responses={
            200: OpenApiResponse(
                PAGINATED_STATS, description="User statistics retrieved successfully"
            ),
            **TARGET_ERRORS,
            500: internal_error("Failed to get user statistics"),
        },
    )
    @action(detail=False, methods=["get"])
    def stats(self, request: Request) -> Response:
        params = validated_params(PageQuerySerializer, request)
        target = self.get_target(params)
        owner = self.get_owner(params.get("user_id"))
        page = visible_user_stats(
            target=target, user_id=owner, page=params["page"], limit=params["limit"]
        )
        return paginated([UserMemoryStatsSerializer(user).data for user in page.items], page)


def paginated(data: Any, page: Page[Any]) -> Response:
    """One page of rendered items, with the page's place among all of them."""
    meta = {
        "page": page.page,
        "limit": page.limit,
        "total_count": page.total_count,
        "total_pages": page.total_pages,
    }
    return Response({"data": data, "meta": meta})


@extend_schema(exclude=True)
class MemorySlashViewSet(MemoryViewSet):
    """The same endpoints reached with a trailing slash: served, documented once without."""


class RefusingView(MemoryAPIView):
    """A path that answers one error in the documented shape to any method, before any
    token is read; `refusal` says which."""

    authentication_classes = []
    permission_classes = []
    throttle_classes = []
    schema: ViewInspector | None = None  # undocumented, unless a subclass documents itself

    @property
    def default_response_headers(self) -> dict[str, str]:
        # No `Allow` (but on a 405, see MemoryAPIView.initial): the refusal allows nothing.
        headers: dict[str, str] = super().default_response_headers
        headers.pop("Allow", None)
        return headers

    def refusal(self) -> Exception:
        raise NotImplementedError

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise self.refusal()


class UnknownRouteView(RefusingView):
    """Unknown paths under the API answer 404 in the documented shape, not Django's page."""

    def refusal(self) -> Exception:
        return NotFound()


class NotProvidedView(RefusingView):
    """An Agno AgentOS route that Agno's client calls and this server does not provide: 501
    in the documented shape, with what it is (`what`, set per route)."""

    what: "str | Promise" = _("this Agno AgentOS route")

    def refusal(self) -> Exception:
        return NotProvided(
            gettext("This server administers memories only; it does not provide %(what)s")
            % {"what": self.what}
        )
