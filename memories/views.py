"""The thin API edge: parse the request, call one service, render the result."""

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.authentication import BaseAuthentication
from rest_framework.parsers import BaseParser, JSONParser
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework.viewsets import ViewSetMixin

from memories.authentication import BearerTokenAuthentication
from memories.exception_handlers import api_exception_handler
from memories.exceptions import BadRequest, NotFound
from memories.models import Channel
from memories.permissions import (
    DELETE_SCOPE,
    HasRequiredScope,
    IsTokenAuthenticated,
    owner_filter,
)
from memories.schema import MemoryAutoSchema, memory_viewset_schema
from memories.serializers import MemoryDeleteQuerySerializer
from memories.services import memory_delete
from memories.targets import resolve_target
from memories.tokens import TokenPrincipal

if TYPE_CHECKING:
    from rest_framework.permissions import _PermissionClass


def validated_params(
    serializer_class: type[serializers.Serializer[Any]],
    request: Request,
    **path: str,
) -> dict[str, Any]:
    """The query parameters a serializer declares, plus path values, validated."""
    data: dict[str, Any] = dict(path)
    names: list[str] = list(serializer_class().fields.keys())  # noqa: SIM118
    for name in names:
        values = request.query_params.getlist(name)
        if len(values) > 1:
            raise BadRequest(f"The {name} query parameter may be given only once")
        if values and name not in path:
            data[name] = values[0]
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class MemoryAPIView(APIView):
    """What every memory endpoint shares: bearer JWTs, JSON only, the error body."""

    authentication_classes: Sequence[type[BaseAuthentication]] = [BearerTokenAuthentication]
    permission_classes: Sequence["_PermissionClass"] = [IsTokenAuthenticated, HasRequiredScope]
    renderer_classes: Sequence[type[BaseRenderer]] = [JSONRenderer]
    parser_classes: Sequence[type[BaseParser]] = [JSONParser]

    # Scopes each action needs when MEMORIES["REQUIRE_SCOPES"] is on.
    action_scopes: dict[str, str] = {}

    def required_scope(self) -> str | None:
        return self.action_scopes.get(getattr(self, "action", None) or "")

    def get_exception_handler(self) -> Callable[[Exception, Mapping[str, Any]], Response]:
        # Ours for these views only; the host's EXCEPTION_HANDLER stays theirs.
        return api_exception_handler


@memory_viewset_schema
class MemoryViewSet(ViewSetMixin, MemoryAPIView):
    """Memories of one database and table, as the caller may see them."""

    schema = MemoryAutoSchema()
    action_scopes = {"destroy": DELETE_SCOPE}

    def destroy(self, request: Request, memory_id: str) -> Response:
        params = validated_params(MemoryDeleteQuerySerializer, request, memory_id=memory_id)
        target = resolve_target(db_id=params.get("db_id"), table=params.get("table"))
        principal: TokenPrincipal = request.user  # type: ignore[assignment]
        memory_delete(
            target=target,
            memory_id=params["memory_id"],
            user_id=owner_filter(principal, params.get("user_id")),
            actor=principal.subject,
            channel=Channel.API,
        )
        return Response(status=204)


@extend_schema(exclude=True)
class MemorySlashViewSet(MemoryViewSet):
    """The same endpoints reached with a trailing slash: served, documented once without."""


class UnknownRouteView(MemoryAPIView):
    """Unknown paths under the API answer 404 in the documented shape, not Django's page."""

    authentication_classes = []
    permission_classes = []
    schema = None

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        super().initial(request, *args, **kwargs)
        raise NotFound()
