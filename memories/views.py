"""The thin API edge: parse the request, call one service, render the result."""

import functools
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.decorators import action
from rest_framework.parsers import BaseParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.schemas.inspectors import ViewInspector
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSetMixin

from memories.authentication import BearerTokenAuthentication
from memories.conf import memories_settings
from memories.exception_handlers import api_exception_handler
from memories.exceptions import (
    BadRequest,
    NotFound,
    NotProvided,
    PayloadTooLarge,
    ValidationFailed,
)
from memories.models import Channel
from memories.negotiation import AnyMediaTypeNegotiation
from memories.owners import NOBODY, Owner
from memories.parsers import BoundedJSONParser, refuse_unframed_body
from memories.permissions import (
    DELETE_SCOPE,
    READ_SCOPE,
    WRITE_SCOPE,
    HasRequiredScope,
    IsTokenAuthenticated,
)
from memories.schema import MemoryAutoSchema, memory_viewset_schema
from memories.selectors import memory_get, memory_list, memory_topics, user_memory_stats
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
from memories.targets import resolve_target
from memories.throttling import SubjectRateThrottle
from memories.tokens import TokenPrincipal

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass


@functools.cache
def _shared_serializer(
    serializer_class: type[serializers.Serializer[Any]],
) -> tuple[serializers.Serializer[Any], list[tuple[str, bool]]]:
    """One instance of a query or body serializer, and each of its fields with whether it
    takes a list. These serializers keep no state between validations (no context, no
    instance, no `validate` hook but one that reads only its arguments), so one instance
    per class serves every request: building one and copying its fields cost more than
    validating a delete's parameters, and a quarter of a millisecond per bulk delete."""
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
            raise BadRequest(f"The {name} query parameter may be given only once")
        if values:
            data[name] = values[0]
    # What is_valid(raise_exception=True) raises, without storing results on the instance.
    return dict(serializer.run_validation(data))


def validated_body(serializer_class: type[serializers.Serializer[Any]], request: Request) -> Any:
    """The JSON object in the request body, validated; unknown keys are ignored."""
    if not isinstance(request.data, Mapping):
        raise ValidationFailed("The request body must be a JSON object.")
    serializer, _ = _shared_serializer(serializer_class)
    # What is_valid(raise_exception=True) raises, without storing results on the instance.
    return serializer.run_validation(request.data)


def merged_user_id(query: Mapping[str, Any], body: Mapping[str, Any]) -> str | None:
    """The user_id of the query string or the body; both given must agree."""
    in_query, in_body = query.get("user_id"), body.get("user_id")
    if in_query is not None and in_body is not None and in_query != in_body:
        raise BadRequest("The user_id of the query string and of the body differ")
    return in_query if in_query is not None else in_body


class MemoryAPIView(APIView):
    """What every memory endpoint shares: bearer JWTs, JSON only, the error body."""

    authentication_classes: Sequence[type[BaseAuthentication]] = [BearerTokenAuthentication]
    permission_classes: Sequence["_PermissionClass"] = [IsTokenAuthenticated, HasRequiredScope]
    throttle_classes: Sequence[type[BaseThrottle]] = [SubjectRateThrottle]
    renderer_classes: Sequence[type[BaseRenderer]] = [JSONRenderer]
    parser_classes: Sequence[type[BaseParser]] = [BoundedJSONParser]
    content_negotiation_class = AnyMediaTypeNegotiation

    # Scopes each action needs when MEMORIES["REQUIRE_SCOPES"] is on.
    action_scopes: dict[str, str] = {}

    def required_scope(self) -> str | None:
        return self.action_scopes.get(getattr(self, "action", None) or "")

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        refuse_unframed_body(request)
        # Refused before the body is read: the limit protects memory, not just parsing.
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            raise BadRequest("Invalid Content-Length header") from None
        if len(request.META.get("QUERY_STRING", "")) > memories_settings.MAX_QUERY_LENGTH:
            raise ValidationFailed(
                f"The query string may not exceed {memories_settings.MAX_QUERY_LENGTH} bytes"
            )
        if length > memories_settings.MAX_BODY_SIZE:
            raise PayloadTooLarge(
                f"The request body may not exceed {memories_settings.MAX_BODY_SIZE} bytes"
            )

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

    def get_exception_handler(self) -> Callable[[Exception, Mapping[str, Any]], Response]:
        # Ours for these views only; the host's EXCEPTION_HANDLER stays theirs.
        return api_exception_handler


@memory_viewset_schema
class MemoryViewSet(ViewSetMixin, MemoryAPIView):
    """Memories of one database and table, as the caller may see them."""

    schema = MemoryAutoSchema()
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
    @action(detail=False, methods=["get"])
    def list_memories(self, request: Request) -> Response:
        params = validated_params(MemoryListQuerySerializer, request)
        target = resolve_target(db_id=params.pop("db_id", None), table=params.pop("table", None))
        owner = self.get_owner(params.pop("user_id", None))
        page = memory_list(target=target, user_id=owner, **params)
        return paginated(
            [MemorySerializer(memory).data for memory in page.items],
            page=page.page,
            limit=page.limit,
            total_count=page.total_count,
        )

    def retrieve(self, request: Request, memory_id: str) -> Response:
        params = validated_params(MemoryIdQuerySerializer, request, memory_id=memory_id)
        target = resolve_target(db_id=params.get("db_id"), table=params.get("table"))
        memory = memory_get(
            target=target,
            memory_id=params["memory_id"],
            user_id=self.get_owner(params.get("user_id")),
        )
        return Response(MemorySerializer(memory).data)

    def create(self, request: Request) -> Response:
        params = validated_params(TargetQuerySerializer, request)
        body = validated_body(MemoryWriteSerializer, request)
        target = resolve_target(db_id=params.get("db_id"), table=params.get("table"))
        if self.principal.is_admin:
            owner = body.get("user_id")
            if owner is None:
                raise BadRequest("user_id: An admin must name the owner of the memory.")
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

    def partial_update(self, request: Request, memory_id: str) -> Response:
        params = validated_params(MemoryIdQuerySerializer, request, memory_id=memory_id)
        serializer = MemoryWriteSerializer(data=request.data, partial=True)
        if not isinstance(request.data, Mapping):
            raise ValidationFailed("The request body must be a JSON object.")
        serializer.is_valid(raise_exception=True)
        changes = dict(serializer.validated_data)
        target = resolve_target(db_id=params.get("db_id"), table=params.get("table"))
        memory = memory_update(
            target=target,
            memory_id=params["memory_id"],
            user_id=self.get_owner(merged_user_id(params, changes)),
            changes=changes,
        )
        return Response(MemorySerializer(memory).data)

    def destroy(self, request: Request, memory_id: str) -> Response:
        params = validated_params(MemoryIdQuerySerializer, request, memory_id=memory_id)
        target = resolve_target(db_id=params.get("db_id"), table=params.get("table"))
        memory_delete(
            target=target,
            memory_id=params["memory_id"],
            user_id=self.get_owner(params.get("user_id")),
            actor=self.principal.subject,
            channel=Channel.API,
        )
        return Response(status=204)

    @action(detail=False, methods=["delete"])
    def bulk_destroy(self, request: Request) -> Response:
        params = validated_params(OwnerQuerySerializer, request)
        body = validated_body(MemoriesDeleteSerializer, request)
        target = resolve_target(db_id=params.get("db_id"), table=params.get("table"))
        memories_delete(
            target=target,
            memory_ids=body["memory_ids"],
            user_id=self.get_owner(merged_user_id(params, body)),
            actor=self.principal.subject,
            channel=Channel.API,
        )
        return Response(status=204)

    @action(detail=False, methods=["get"])
    def topics(self, request: Request) -> Response:
        params = validated_params(OwnerQuerySerializer, request)
        target = resolve_target(db_id=params.get("db_id"), table=params.get("table"))
        owner = self.get_owner(params.get("user_id"))
        return Response(memory_topics(target=target, user_id=owner))

    @action(detail=False, methods=["get"])
    def stats(self, request: Request) -> Response:
        params = validated_params(PageQuerySerializer, request)
        target = resolve_target(db_id=params.get("db_id"), table=params.get("table"))
        owner = self.get_owner(params.get("user_id"))
        page = user_memory_stats(
            target=target, user_id=owner, page=params["page"], limit=params["limit"]
        )
        return paginated(
            [UserMemoryStatsSerializer(user).data for user in page.items],
            page=page.page,
            limit=page.limit,
            total_count=page.total_count,
        )


def paginated(data: Any, *, page: int, limit: int, total_count: int) -> Response:
    total_pages = -(-total_count // limit)
    meta = {"page": page, "limit": limit, "total_count": total_count, "total_pages": total_pages}
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
        # No `Allow`: such a path allows no method at all.
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

    what = "this Agno AgentOS route"

    def refusal(self) -> Exception:
        return NotProvided(
            f"This server administers memories only; it does not provide {self.what}"
        )
