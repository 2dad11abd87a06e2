"""Optional scope enforcement: memories:delete to delete, and a documented 403."""

import pytest
import yaml
from django.test import override_settings

from memories.models import Memory
from tests.conftest import mint
from tests.documents import generate_document
from tests.factories import memory_create, memory_ids_in
from tests.settings import HS256_KEY

pytestmark = pytest.mark.django_db(databases=["default"])

ENFORCED = {
    "DATABASES": {"default": "default"},
    "REQUIRE_SCOPES": True,
    "JWT_SIGNING_KEY": HS256_KEY,
}


def delete(api, token):
    return api.delete("/memories/m1", HTTP_AUTHORIZATION=f"Bearer {token}")


@pytest.fixture(autouse=True)
def alice_memory():
    memory_create(memory_id="m1", user_id="alice", memory="original")


@pytest.mark.parametrize("scopes", [[], ["memories:read", "memories:write"], "memories:read"])
def test_without_delete_scope_is_403_and_the_row_stays(api, scopes):
    with override_settings(MEMORIES=ENFORCED):
        response = delete(api, mint("alice", scopes=scopes))

    assert response.status_code == 403
    assert response.json() == {
        "detail": "This token lacks the scope this operation requires",
        "error_code": "FORBIDDEN",
    }
    assert memory_ids_in("default") == {"m1"}


@pytest.mark.parametrize("scopes", [["memories:delete"], "memories:read memories:delete"])
def test_delete_scope_allows_deleting(api, scopes):
    with override_settings(MEMORIES=ENFORCED):
        assert delete(api, mint("alice", scopes=scopes)).status_code == 204
    assert memory_ids_in("default") == set()


def test_admin_scope_implies_every_scope(api):
    with override_settings(MEMORIES=ENFORCED):
        assert delete(api, mint("root", scopes=["agent_os:admin"])).status_code == 204
    assert memory_ids_in("default") == set()


def test_scopes_are_not_required_by_default(api):
    assert delete(api, mint("alice", scopes=[])).status_code == 204
    assert memory_ids_in("default") == set()


def test_refused_token_is_still_401_when_scopes_are_enforced(api):
    with override_settings(MEMORIES=ENFORCED):
        response = api.delete("/memories/m1")
    assert response.status_code == 401
    assert memory_ids_in("default") == {"m1"}


@pytest.mark.parametrize("enforced, documented", [(False, False), (True, True)])
def test_403_is_documented_only_when_enforced(tmp_path, enforced, documented):
    path = tmp_path / "openapi.yaml"
    memories = {**ENFORCED, "REQUIRE_SCOPES": enforced}
    with override_settings(MEMORIES=memories):
        generate_document(path)
    operation = yaml.safe_load(path.read_text())["paths"]["/memories/{memory_id}"]["delete"]
    assert ("403" in operation["responses"]) is documented


@pytest.mark.parametrize(
    "method, path, body, scope",
    [
        ("get", "/memories", None, "memories:read"),
        ("get", "/memories/m1", None, "memories:read"),
        ("get", "/memory_topics", None, "memories:read"),
        ("get", "/user_memory_stats", None, "memories:read"),
        ("post", "/memories", {"memory": "new"}, "memories:write"),
        ("patch", "/memories/m1", {"memory": "changed"}, "memories:write"),
        ("delete", "/memories", {"memory_ids": ["m1"]}, "memories:delete"),
    ],
)
def test_each_operation_needs_its_scope(api, method, path, body, scope):
    other_scopes = sorted({"memories:read", "memories:write", "memories:delete"} - {scope})

    def call(scopes):
        token = mint("alice", scopes=scopes)
        return getattr(api, method)(
            path, body, format="json", HTTP_AUTHORIZATION=f"Bearer {token}"
        )

    with override_settings(MEMORIES=ENFORCED):
        refused = call(other_scopes)
        rows_after_refusal = list(Memory.objects.values_list("memory_id", "memory"))
        allowed = call([scope])

    assert refused.status_code == 403
    assert refused.json()["error_code"] == "FORBIDDEN"
    assert rows_after_refusal == [("m1", "original")]
    assert allowed.status_code in {200, 201, 204}
