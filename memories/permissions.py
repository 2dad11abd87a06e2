"""Who may call the API: a verified token, with the scope an action needs."""

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from memories.conf import memories_settings
from memories.tokens import TokenPrincipal


class IsTokenAuthenticated(BasePermission):
    """The request carries a verified bearer token."""

    def has_permission(self, request: Request, view: Any) -> bool:
        return isinstance(request.user, TokenPrincipal)


# The scope each kind of access needs when MEMORIES["REQUIRE_SCOPES"] is on.
READ_SCOPE = "memories:read"
WRITE_SCOPE = "memories:write"
DELETE_SCOPE = "memories:delete"


class HasRequiredScope(BasePermission):
    """The token carries the scope of the view's `required_scope`, when scopes are enforced.

    The admin scope implies every memory scope.
    """

    message = _("This token lacks the scope this operation requires")

    def has_permission(self, request: Request, view: Any) -> bool:
        if not memories_settings.REQUIRE_SCOPES:
            return True
        principal = request.user
        scope = view.required_scope()
        if not isinstance(principal, TokenPrincipal) or scope is None:
            return False
        return principal.is_admin or scope in principal.scopes


class IsAdminToken(BasePermission):
    """The token carries the admin scope: for operations over every owner's memories."""

    message = _("This operation needs an admin token")

    def has_permission(self, request: Request, view: Any) -> bool:
        principal = request.user
        return isinstance(principal, TokenPrincipal) and principal.is_admin
