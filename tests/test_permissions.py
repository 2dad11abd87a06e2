"""Who may call the API (permission classes) and whose memories a caller reaches (get_owner)."""

import pytest
from django.contrib.auth.models import AnonymousUser
from django.test import override_settings
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from memories.owners import NOBODY, Owner
from memories.permissions import HasRequiredScope, IsTokenAuthenticated
from memories.tokens import TokenPrincipal
from memories.views import MemoryViewSet
from tests.conftest import memories_with
from tests.settings import HS256_KEY

ADMIN = frozenset({"agent_os:admin"})


def principal(subject: str = "alice", *scopes: str) -> TokenPrincipal:
    return TokenPrincipal(subject=subject, scopes=frozenset(scopes))


def owner_filter(caller: TokenPrincipal, user_id: str | None) -> Owner:
    """The viewset's owner hook, for a request made by caller."""
    view = MemoryViewSet()
    view.request = request_as(caller)
    return view.get_owner(user_id)


class GetOwnerTests:
    @pytest.mark.parametrize("user_id", [None, "alice"])
    def test_regular_token_is_narrowed_to_its_subject(self, user_id):
        assert owner_filter(principal("alice"), user_id) == "alice"

    @pytest.mark.parametrize("user_id", ["bob", "Alice", "alice ", " alice", "alicé", ""])
    def test_regular_token_naming_anyone_else_finds_nothing(self, user_id):
        assert owner_filter(principal("alice"), user_id) is NOBODY

    def test_regular_token_with_unrelated_scopes_is_still_regular(self):
        regular = principal("alice", "memories:delete", "agent_os:admin:read", "AGENT_OS:ADMIN")

        assert owner_filter(regular, None) == "alice"
        assert owner_filter(regular, "bob") is NOBODY

    def test_admin_without_user_id_reaches_every_owner(self):
        assert owner_filter(principal("root", "agent_os:admin"), None) is None

    @pytest.mark.parametrize("user_id", ["bob", "root", "Alice", "alice "])
    def test_admin_user_id_narrows_to_exactly_that_owner(self, user_id):
        assert owner_filter(principal("root", "agent_os:admin"), user_id) == user_id

    def test_admin_scope_is_the_configured_one(self):
        with override_settings(MEMORIES=memories_with(ADMIN_SCOPE="memories:admin")):
            assert owner_filter(principal("root", "memories:admin"), None) is None
            assert owner_filter(principal("root", "agent_os:admin"), "bob") is NOBODY
            assert owner_filter(principal("root", "agent_os:admin"), None) == "root"


def request_as(user) -> Request:
    request = Request(APIRequestFactory().delete("/memories/m1"))
    request.user = user
    return request


def view_for(action: str | None) -> MemoryViewSet:
    view = MemoryViewSet()
    view.action = action  # type: ignore[assignment]
    return view


class IsTokenAuthenticatedTests:
    def test_allows_a_verified_token(self):
        assert IsTokenAuthenticated().has_permission(request_as(principal()), view_for("destroy"))

    @pytest.mark.parametrize("user", [None, AnonymousUser()], ids=["none", "anonymous"])
    def test_refuses_anything_else(self, user):
        assert not IsTokenAuthenticated().has_permission(request_as(user), view_for("destroy"))


class HasRequiredScopeTests:
    ENFORCED = {"REQUIRE_SCOPES": True, "JWT_SIGNING_KEY": HS256_KEY}

    def test_scopes_are_not_enforced_by_default(self):
        assert HasRequiredScope().has_permission(request_as(principal()), view_for("destroy"))

    @pytest.mark.parametrize(
        "action, scopes, allowed",
        [
            ("destroy", ["memories:delete"], True),
            ("destroy", ["memories:read", "memories:write"], False),
            ("destroy", [], False),
            ("bulk_destroy", ["memories:delete"], True),
            ("retrieve", ["memories:delete"], False),
            ("retrieve", ["memories:read"], True),
            ("partial_update", ["memories:write"], True),
            ("destroy", ["agent_os:admin"], True),
            ("retrieve", ["agent_os:admin"], True),
        ],
    )
    def test_enforced_scope_of_each_action(self, action, scopes, allowed):
        with override_settings(MEMORIES=self.ENFORCED):
            permission = HasRequiredScope()
            assert (
                permission.has_permission(
                    request_as(principal("alice", *scopes)), view_for(action)
                )
                is allowed
            )

    def test_enforced_refuses_an_action_without_a_scope(self):
        # An action nobody declared a scope for is closed, not open, when scopes are enforced.
        everything = principal("alice", "memories:read", "memories:write", "memories:delete")
        with override_settings(MEMORIES=self.ENFORCED):
            assert not HasRequiredScope().has_permission(request_as(everything), view_for(None))

    def test_enforced_refuses_a_request_without_a_token(self):
        with override_settings(MEMORIES=self.ENFORCED):
            assert not HasRequiredScope().has_permission(request_as(None), view_for("destroy"))

    def test_message_is_the_documented_detail(self):
        assert (
            str(HasRequiredScope.message) == "This token lacks the scope this operation requires"
        )
