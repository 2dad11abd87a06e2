"""DELETE /memories/{memory_id} (MemoryViewSet.destroy): the owner's delete, a memory that
is not there, a request without a valid token."""

from urllib.parse import quote

import pytest

from memories.models import MemoryDeletion
from tests.conftest import require_db_id
from tests.factories import memory_create
from tests.test_views.conftest import (
    assert_error,
    deleted_from,
    rows,
    untouched,
)

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.mark.usefixtures("seeded")
class DeleteTests:
    def test_owner_deletes_with_204_and_empty_body(self, as_user, db_id):
        response = as_user("alice").delete(f"/memories/m1?db_id={db_id}")

        assert response.status_code == 204
        assert response.content == b""
        assert "Content-Type" not in response
        assert rows() == deleted_from(db_id, "m1")

    def test_trailing_slash_deletes_without_redirect(self, as_user, db_id):
        response = as_user("alice").delete(f"/memories/m1/?db_id={db_id}")

        assert response.status_code == 204
        assert response.content == b""
        assert rows() == deleted_from(db_id, "m1")

    def test_without_db_id_the_default_database_is_used(self, as_user):
        assert as_user("alice").delete("/memories/m1").status_code == 204
        assert rows() == deleted_from("default", "m1")

    def test_naming_the_default_table_deletes_there(self, as_user, db_id):
        response = as_user("alice").delete(f"/memories/m1?db_id={db_id}&table=agno_memories")

        assert response.status_code == 204
        assert rows() == deleted_from(db_id, "m1")

    def test_schema_qualified_table_deletes_only_there(self, as_user):
        require_db_id("pg")

        response = as_user("alice").delete("/memories/m1?db_id=pg&table=ai.agno_memories")

        assert response.status_code == 204
        assert rows() == deleted_from("pg", "m1", table="ai.agno_memories")

    def test_second_delete_of_the_same_memory_is_404(self, as_user, db_id):
        client = as_user("alice")

        assert client.delete(f"/memories/m1?db_id={db_id}").status_code == 204
        response = client.delete(f"/memories/m1?db_id={db_id}")

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert rows() == deleted_from(db_id, "m1")
        assert MemoryDeletion.objects.count() == 1

    def test_memory_id_of_255_characters_is_accepted(self, as_user, db_id):
        memory_id = "m" * 255
        memory_create(db_id, memory_id=memory_id, user_id="alice")

        response = as_user("alice").delete(f"/memories/{memory_id}?db_id={db_id}")

        assert response.status_code == 204
        assert rows() == untouched()

    @pytest.mark.parametrize("memory_id", ["mémoire-1", "記憶", "with space", "a+b&c=d?"])
    def test_memory_id_is_taken_exactly_from_the_encoded_path(self, as_user, db_id, memory_id):
        memory_create(db_id, memory_id=memory_id, user_id="alice")

        response = as_user("alice").delete(f"/memories/{quote(memory_id, safe='')}?db_id={db_id}")

        assert response.status_code == 204
        assert rows() == untouched()

    def test_unknown_query_parameters_are_ignored(self, as_user):
        response = as_user("alice").delete("/memories/m1?limit=5&foo=bar")

        assert response.status_code == 204
        assert rows() == deleted_from("default", "m1")

    @pytest.mark.parametrize("query", ["memory_id=m2", "memory_id=m2&memory_id=m3"])
    def test_memory_id_in_the_query_string_does_not_replace_the_path(self, as_user, query):
        response = as_user("root", admin=True).delete(f"/memories/m1?{query}")

        assert response.status_code == 204
        assert rows() == deleted_from("default", "m1")


@pytest.mark.usefixtures("seeded")
class NotFoundTests:
    def test_unknown_memory_is_404(self, as_user, db_id):
        response = as_user("root", admin=True).delete(f"/memories/nope?db_id={db_id}")

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert rows() == untouched()

    @pytest.mark.parametrize("db_id", ["nope", "LITE", "lite ", " "])
    def test_unknown_db_id_is_404(self, as_user, db_id):
        response = as_user("alice").delete(f"/memories/m1?db_id={quote(db_id)}")

        assert_error(response, 404, f"No database found with id '{db_id}'", "NOT_FOUND")
        assert rows() == untouched()

    def test_unknown_db_id_is_404_whatever_the_table(self, as_user):
        response = as_user("alice").delete("/memories/m1?db_id=nope&table=agno_memories")

        assert_error(response, 404, "No database found with id 'nope'", "NOT_FOUND")
        assert rows() == untouched()

    @pytest.mark.parametrize("table", ["nope", "AGNO_MEMORIES", "memories_memorydeletion"])
    def test_table_not_configured_for_the_db_id_is_404(self, as_user, db_id, table):
        response = as_user("root", admin=True).delete(f"/memories/m1?db_id={db_id}&table={table}")

        assert_error(response, 404, f"No table '{table}' found in database '{db_id}'", "NOT_FOUND")
        assert rows() == untouched()

    def test_table_of_another_db_id_is_404(self, as_user):
        # pg holds ai.agno_memories; lite does not, whether or not pg is reachable.
        response = as_user("alice").delete("/memories/m1?db_id=lite&table=ai.agno_memories")

        assert_error(
            response, 404, "No table 'ai.agno_memories' found in database 'lite'", "NOT_FOUND"
        )
        assert rows() == untouched()

    @pytest.mark.parametrize("admin", [False, True], ids=["owner", "admin"])
    def test_configured_table_absent_from_the_database_is_404(self, as_user, admin):
        response = as_user("alice", admin=admin).delete(
            "/memories/m1?db_id=lite&table=missing_memories"
        )

        assert_error(
            response, 404, "No table 'missing_memories' found in database 'lite'", "NOT_FOUND"
        )
        assert rows() == untouched()


@pytest.mark.usefixtures("seeded")
class AuthenticationTests:
    """Two representative refusals; every token defect is tested with the authentication."""

    def test_no_token_is_401_with_a_bearer_challenge(self, api):
        response = api.delete("/memories/m1")

        assert_error(
            response, 401, "Authentication credentials were not provided.", "UNAUTHENTICATED"
        )
        assert response["WWW-Authenticate"] == "Bearer"
        assert rows() == untouched()

    def test_other_scheme_is_401_with_a_bearer_challenge(self, api):
        response = api.delete("/memories/m1/", HTTP_AUTHORIZATION="Basic YWxpY2U6czNjcmV0")

        assert_error(
            response, 401, "Authorization header must be 'Bearer <token>'", "UNAUTHENTICATED"
        )
        assert response["WWW-Authenticate"] == "Bearer"
        assert rows() == untouched()
