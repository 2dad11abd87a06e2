"""DELETE /memories/{memory_id}: every status of the contract, and the rows it leaves."""

from urllib.parse import quote

import pytest

from memories.models import MemoryDeletion
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")

NOT_FOUND = {"detail": "Memory not found", "error_code": "NOT_FOUND"}


class OwnershipTests:
    def test_owner_deletes_own_memory(self, as_user, db_id):
        memory_create(db_id, memory_id="m1", user_id="alice")
        memory_create(db_id, memory_id="m2", user_id="alice")

        response = as_user("alice").delete(f"/memories/m1?db_id={db_id}")

        assert response.status_code == 204
        assert response.content == b""
        assert memory_ids_in(db_id) == {"m2"}

    def test_trailing_slash_deletes_without_redirect(self, as_user):
        memory_create(memory_id="m1", user_id="alice")

        response = as_user("alice").delete("/memories/m1/")

        assert response.status_code == 204
        assert memory_ids_in("default") == set()

    def test_other_user_gets_404_and_row_stays(self, as_user, db_id):
        memory_create(db_id, memory_id="m1", user_id="alice")

        response = as_user("bob").delete(f"/memories/m1?db_id={db_id}")

        assert response.status_code == 404
        assert response.json() == NOT_FOUND
        assert memory_ids_in(db_id) == {"m1"}

    @pytest.mark.parametrize("subject", ["Alice", "ALICE", "alice ", " alice"])
    def test_owner_match_is_exact_on_every_database(self, as_user, db_id, subject):
        # MariaDB's default collation ignores case and trailing spaces.
        memory_create(db_id, memory_id="m1", user_id="alice")

        response = as_user(subject).delete(f"/memories/m1?db_id={db_id}")

        assert response.status_code == 404
        assert memory_ids_in(db_id) == {"m1"}

    @pytest.mark.parametrize("memory_id", ["M1", "m1 "])
    def test_memory_id_match_is_exact_on_every_database(self, as_user, db_id, memory_id):
        memory_create(db_id, memory_id="m1", user_id="alice")

        response = as_user("alice", admin=True).delete(
            f"/memories/{quote(memory_id)}?db_id={db_id}"
        )

        assert response.status_code == 404
        assert memory_ids_in(db_id) == {"m1"}

    def test_regular_user_asking_for_another_user_finds_nothing(self, as_user):
        memory_create(memory_id="m1", user_id="bob")

        response = as_user("alice").delete("/memories/m1?user_id=bob")

        assert response.status_code == 404
        assert response.json() == NOT_FOUND
        assert memory_ids_in("default") == {"m1"}

    def test_regular_user_may_name_themself(self, as_user):
        memory_create(memory_id="m1", user_id="alice")

        response = as_user("alice").delete("/memories/m1?user_id=alice")

        assert response.status_code == 204
        assert memory_ids_in("default") == set()

    def test_admin_deletes_any_memory(self, as_user, db_id):
        memory_create(db_id, memory_id="m1", user_id="bob")
        memory_create(db_id, memory_id="m2", user_id=None)

        client = as_user("root", admin=True)

        assert client.delete(f"/memories/m1?db_id={db_id}").status_code == 204
        assert client.delete(f"/memories/m2?db_id={db_id}").status_code == 204
        assert memory_ids_in(db_id) == set()

    def test_admin_with_matching_user_id_deletes(self, as_user):
        memory_create(memory_id="m1", user_id="bob")

        response = as_user("root", admin=True).delete("/memories/m1?user_id=bob")

        assert response.status_code == 204
        assert memory_ids_in("default") == set()

    def test_admin_with_mismatching_user_id_gets_404(self, as_user):
        memory_create(memory_id="m1", user_id="bob")

        response = as_user("root", admin=True).delete("/memories/m1?user_id=carol")

        assert response.status_code == 404
        assert response.json() == NOT_FOUND
        assert memory_ids_in("default") == {"m1"}

    def test_deleted_memory_is_gone_for_the_second_delete(self, as_user):
        memory_create(memory_id="m1", user_id="alice")
        client = as_user("alice")

        assert client.delete("/memories/m1").status_code == 204
        response = client.delete("/memories/m1")

        assert response.status_code == 404
        assert response.json() == NOT_FOUND
        assert MemoryDeletion.objects.count() == 1


class TargetErrorTests:
    @pytest.mark.parametrize(
        "query, status, body",
        [
            (
                "table=agno_memories",
                400,
                {
                    "detail": "The db_id query parameter is required when passing a table",
                    "error_code": "BAD_REQUEST",
                },
            ),
            (
                "db_id=lite&db_id=default",
                400,
                {
                    "detail": "The db_id query parameter may be given only once",
                    "error_code": "BAD_REQUEST",
                },
            ),
            (
                "db_id=nope",
                404,
                {"detail": "No database found with id 'nope'", "error_code": "NOT_FOUND"},
            ),
            (
                "db_id=lite&table=ai.agno_memories",
                404,
                {
                    "detail": "No table 'ai.agno_memories' found in database 'lite'",
                    "error_code": "NOT_FOUND",
                },
            ),
            (
                # Configured, but absent from the database: 404, not a database error.
                "db_id=lite&table=missing_memories",
                404,
                {
                    "detail": "No table 'missing_memories' found in database 'lite'",
                    "error_code": "NOT_FOUND",
                },
            ),
        ],
        ids=["table-without-db_id", "repeated", "unknown-db_id", "unknown-table", "absent-table"],
    )
    def test_target_errors_leave_every_database_alone(self, as_user, query, status, body):
        memory_create("default", memory_id="m1", user_id="alice")
        memory_create("lite", memory_id="m1", user_id="alice")

        response = as_user("alice").delete(f"/memories/m1?{query}")

        assert response.status_code == status
        assert response.json() == body
        assert memory_ids_in("default") == {"m1"}
        assert memory_ids_in("lite") == {"m1"}


class ValidationTests:
    @pytest.mark.parametrize("name", ["user_id", "db_id", "table"])
    def test_query_value_over_255_characters_is_422(self, as_user, name):
        memory_create(memory_id="m1", user_id="alice")

        response = as_user("alice").delete(f"/memories/m1?{name}={'x' * 256}")

        assert response.status_code == 422
        assert response.json() == {
            "detail": f"{name}: Ensure this field has no more than 255 characters.",
            "error_code": "VALIDATION_ERROR",
        }
        assert memory_ids_in("default") == {"m1"}

    def test_memory_id_over_255_characters_is_422(self, as_user):
        memory_create(memory_id="m1", user_id="alice")

        response = as_user("alice").delete(f"/memories/{'m' * 256}")

        assert response.status_code == 422
        assert response.json() == {
            "detail": "memory_id: Ensure this field has no more than 255 characters.",
            "error_code": "VALIDATION_ERROR",
        }
        assert memory_ids_in("default") == {"m1"}

    @pytest.mark.parametrize("character", ["%00", "%0A", "%1F", "%7F"])
    @pytest.mark.parametrize("name", ["user_id", "db_id", "table"])
    def test_control_characters_in_query_are_422(self, as_user, name, character):
        memory_create(memory_id="m1", user_id="alice")

        response = as_user("alice").delete(f"/memories/m1?{name}=a{character}b")

        assert response.status_code == 422
        assert response.json() == {
            "detail": f"{name}: Must not contain control characters.",
            "error_code": "VALIDATION_ERROR",
        }
        assert memory_ids_in("default") == {"m1"}

    def test_control_characters_in_memory_id_are_422(self, as_user):
        memory_create(memory_id="m\n1", user_id="alice")

        response = as_user("alice").delete("/memories/m%0A1")

        assert response.status_code == 422
        assert response.json()["error_code"] == "VALIDATION_ERROR"
        assert memory_ids_in("default") == {"m\n1"}

    @pytest.mark.parametrize("name", ["user_id", "db_id", "table"])
    def test_empty_query_value_is_422(self, as_user, name):
        memory_create(memory_id="m1", user_id="alice")

        response = as_user("alice").delete(f"/memories/m1?{name}=")

        assert response.status_code == 422
        assert response.json() == {
            "detail": f"{name}: This field may not be blank.",
            "error_code": "VALIDATION_ERROR",
        }
        assert memory_ids_in("default") == {"m1"}


class ProtocolErrorTests:
    def test_no_token_is_401_with_challenge(self, api):
        memory_create(memory_id="m1", user_id="alice")

        response = api.delete("/memories/m1")

        assert response.status_code == 401
        assert response["WWW-Authenticate"] == "Bearer"
        assert response.json() == {
            "detail": "Authentication credentials were not provided.",
            "error_code": "UNAUTHENTICATED",
        }
        assert memory_ids_in("default") == {"m1"}

    @pytest.mark.parametrize("method", ["put", "post"])
    def test_other_methods_are_405_json(self, as_user, method):
        memory_create(memory_id="m1", user_id="alice")

        response = getattr(as_user("alice"), method)("/memories/m1")

        assert response.status_code == 405
        assert response["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": f'Method "{method.upper()}" not allowed.',
            "error_code": "METHOD_NOT_ALLOWED",
        }
        assert memory_ids_in("default") == {"m1"}

    @pytest.mark.parametrize("path", ["/memories/m1/extra", "/memory_topics/x", "/memories//"])
    def test_unknown_routes_under_the_api_are_404_json(self, as_user, path):
        memory_create(memory_id="m1", user_id="alice")

        response = as_user("alice").delete(path)

        assert response.status_code == 404
        assert response.json() == {"detail": "Not found", "error_code": "NOT_FOUND"}
        assert memory_ids_in("default") == {"m1"}
