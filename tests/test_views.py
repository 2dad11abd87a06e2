"""DELETE /memories/{memory_id} at the REST edge: who may delete what; what a refusal leaves.

Every test starts with m1 (alice) and m2 (bob) in every memory table of every database, and
checks the rows left in all of them: a delete removes one row in one place, a refusal none.
"""

from urllib.parse import quote

import pytest
import yaml

from memories.models import MemoryDeletion
from memories.targets import present_targets
from tests.conftest import require_db_id
from tests.documents import SNAPSHOT
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")

SEEDED = {"m1", "m2"}
LONG = "x" * 256


def tables() -> list[tuple[str, str]]:
    """(db_id, table) of every configured memory table that exists in its database."""
    return [(t.db_id, t.table) for t in present_targets()]


def rows() -> dict[tuple[str, str], set[str]]:
    """The memory ids left in each table of each database."""
    return {(db_id, table): memory_ids_in(db_id, table) for db_id, table in tables()}


def untouched() -> dict[tuple[str, str], set[str]]:
    return {place: set(SEEDED) for place in tables()}


def deleted_from(db_id: str, memory_id: str, table: str = "agno_memories"):
    """The rows expected when memory_id, and nothing else, left db_id's table."""
    expected = untouched()
    expected[(db_id, table)] = SEEDED - {memory_id}
    return expected


def query(name: str, value: str) -> str:
    """A query string naming db_id=default, plus name=value (value already encoded)."""
    return f"db_id={value}" if name == "db_id" else f"db_id=default&{name}={value}"


# Each method a client may send: HTTP's own, WebDAV's, and one that is nobody's.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
METHODS += ["PROPFIND", "FOO"]


def undocumented_methods() -> list[tuple[str, str, list[str]]]:
    """(path, method, the methods it allows) for each route of the API document and each
    method it does not list. It allows what it lists, in Django's order, and HEAD beside GET
    (HTTP requires it of a server: a GET without its body)."""
    document = yaml.safe_load(SNAPSHOT.read_text())
    cases = []
    for route, operations in document["paths"].items():
        listed = [method.upper() for method in operations]
        allowed = [method for method in ["GET", "POST", "PATCH", "DELETE"] if method in listed]
        allowed += ["HEAD"] if "GET" in listed else []
        path = route.replace("{memory_id}", "m1")
        cases += [(path, method, allowed) for method in METHODS if method not in allowed]
    return cases


UNDOCUMENTED_METHODS = undocumented_methods()


def assert_error(response, status: int, detail: str, error_code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": detail, "error_code": error_code}


@pytest.fixture(autouse=True)
def seeded():
    for db_id, table in tables():
        memory_create(db_id, table, memory_id="m1", user_id="alice")
        memory_create(db_id, table, memory_id="m2", user_id="bob")


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


class OwnershipTests:
    """A regular token owns its subject's memories; anything else does not exist."""

    def test_another_user_gets_404_and_the_row_stays(self, as_user, db_id):
        response = as_user("bob").delete(f"/memories/m1?db_id={db_id}")

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert rows() == untouched()

    def test_unowned_memory_is_404_for_a_regular_user(self, as_user, db_id):
        memory_create(db_id, memory_id="orphan", user_id=None)

        response = as_user("alice").delete(f"/memories/orphan?db_id={db_id}")

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert memory_ids_in(db_id) == SEEDED | {"orphan"}

    @pytest.mark.parametrize("memory_id", ["m1", "m2"])
    def test_regular_user_naming_another_user_finds_nothing(self, as_user, db_id, memory_id):
        # m2 is bob's own: asking for bob's memories still finds nothing for alice.
        response = as_user("alice").delete(f"/memories/{memory_id}?db_id={db_id}&user_id=bob")

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert rows() == untouched()

    def test_regular_user_naming_themself_deletes(self, as_user, db_id):
        response = as_user("alice").delete(f"/memories/m1?db_id={db_id}&user_id=alice")

        assert response.status_code == 204
        assert rows() == deleted_from(db_id, "m1")

    def test_regular_user_naming_themself_cannot_reach_another_users_memory(self, as_user):
        response = as_user("alice").delete("/memories/m2?user_id=alice")

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert rows() == untouched()

    @pytest.mark.parametrize("memory_id", ["m1", "m2"])
    def test_admin_deletes_anyones_memory(self, as_user, db_id, memory_id):
        response = as_user("root", admin=True).delete(f"/memories/{memory_id}?db_id={db_id}")

        assert response.status_code == 204
        assert rows() == deleted_from(db_id, memory_id)

    def test_admin_deletes_an_unowned_memory(self, as_user, db_id):
        memory_create(db_id, memory_id="orphan", user_id=None)

        response = as_user("root", admin=True).delete(f"/memories/orphan?db_id={db_id}")

        assert response.status_code == 204
        assert rows() == untouched()

    def test_admin_with_the_owners_user_id_deletes(self, as_user, db_id):
        response = as_user("root", admin=True).delete(f"/memories/m2?db_id={db_id}&user_id=bob")

        assert response.status_code == 204
        assert rows() == deleted_from(db_id, "m2")

    @pytest.mark.parametrize("user_id", ["alice", "carol", "root"])
    def test_admin_with_another_user_id_gets_404(self, as_user, db_id, user_id):
        response = as_user("root", admin=True).delete(
            f"/memories/m2?db_id={db_id}&user_id={user_id}"
        )

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert rows() == untouched()

    def test_admin_naming_an_owner_does_not_reach_unowned_memories(self, as_user, db_id):
        memory_create(db_id, memory_id="orphan", user_id=None)

        response = as_user("root", admin=True).delete(
            f"/memories/orphan?db_id={db_id}&user_id=alice"
        )

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert memory_ids_in(db_id) == SEEDED | {"orphan"}


class ExactMatchTests:
    """Ids and owners match byte for byte, also on MariaDB, whose collation ignores case,
    accents and trailing spaces."""

    @pytest.mark.parametrize("subject", ["Alice", "ALICE", "alice ", " alice", "alicé"])
    def test_owner_must_match_exactly(self, as_user, db_id, subject):
        response = as_user(subject).delete(f"/memories/m1?db_id={db_id}")

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert rows() == untouched()

    @pytest.mark.parametrize("user_id", ["Alice", "alice ", "alicé"])
    def test_owner_naming_a_variant_of_themself_finds_nothing(self, as_user, db_id, user_id):
        response = as_user("alice").delete(f"/memories/m1?db_id={db_id}&user_id={quote(user_id)}")

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert rows() == untouched()

    @pytest.mark.parametrize("subject", ["Alice", "alice "])
    def test_variant_subject_naming_itself_still_finds_nothing(self, as_user, db_id, subject):
        response = as_user(subject).delete(f"/memories/m1?db_id={db_id}&user_id={quote(subject)}")

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert rows() == untouched()

    @pytest.mark.parametrize("user_id", ["Alice", "ALICE", "alice ", "alicé"])
    def test_admin_user_id_must_match_exactly(self, as_user, db_id, user_id):
        response = as_user("root", admin=True).delete(
            f"/memories/m1?db_id={db_id}&user_id={quote(user_id)}"
        )

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert rows() == untouched()

    @pytest.mark.parametrize("memory_id", ["M1", "m1 ", " m1", "m1\u00a0"])
    @pytest.mark.parametrize("admin", [False, True], ids=["owner", "admin"])
    def test_memory_id_must_match_exactly(self, as_user, db_id, memory_id, admin):
        response = as_user("alice", admin=admin).delete(
            f"/memories/{quote(memory_id)}?db_id={db_id}"
        )

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert rows() == untouched()

    def test_owner_whose_name_differs_only_in_case_deletes_only_their_own(self, as_user, db_id):
        memory_create(db_id, memory_id="m3", user_id="Alice")
        client = as_user("Alice")

        refused = client.delete(f"/memories/m1?db_id={db_id}")
        deleted = client.delete(f"/memories/m3?db_id={db_id}")

        assert refused.status_code == 404
        assert deleted.status_code == 204
        assert rows() == untouched()

    def test_accented_memory_id_is_not_its_plain_twin(self, as_user, db_id):
        memory_create(db_id, memory_id="mé", user_id="alice")

        response = as_user("alice").delete(f"/memories/me?db_id={db_id}")

        assert_error(response, 404, "Memory not found", "NOT_FOUND")
        assert memory_ids_in(db_id) == SEEDED | {"mé"}


class BadRequestTests:
    @pytest.mark.parametrize(
        "subject, admin, table",
        [("alice", False, "agno_memories"), ("root", True, "missing_memories")],
        ids=["owner", "admin"],
    )
    def test_table_without_db_id_is_400(self, as_user, subject, admin, table):
        response = as_user(subject, admin=admin).delete(f"/memories/m1?table={table}")

        assert_error(
            response,
            400,
            "The db_id query parameter is required when passing a table",
            "BAD_REQUEST",
        )
        assert rows() == untouched()

    @pytest.mark.parametrize(
        "name, first, second",
        [
            ("db_id", "lite", "default"),
            ("db_id", "default", "default"),
            ("table", "agno_memories", "agno_memories"),
            ("user_id", "alice", "bob"),
            ("user_id", "alice", "alice"),
        ],
    )
    def test_repeated_query_parameter_is_400(self, as_user, name, first, second):
        prefix = "" if name == "db_id" else "db_id=default&"
        response = as_user("alice").delete(f"/memories/m1?{prefix}{name}={first}&{name}={second}")

        assert_error(
            response, 400, f"The {name} query parameter may be given only once", "BAD_REQUEST"
        )
        assert rows() == untouched()


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


class ValidationTests:
    """422 names the field and says what is wrong; nothing is deleted anywhere."""

    @pytest.mark.parametrize("name", ["user_id", "db_id", "table"])
    def test_query_value_over_255_characters_is_422(self, as_user, name):
        response = as_user("alice").delete(f"/memories/m1?{query(name, LONG)}")

        assert_error(
            response,
            422,
            f"{name}: Ensure this field has no more than 255 characters.",
            "VALIDATION_ERROR",
        )
        assert rows() == untouched()

    def test_memory_id_over_255_characters_is_422(self, as_user):
        response = as_user("root", admin=True).delete(f"/memories/{LONG}")

        assert_error(
            response,
            422,
            "memory_id: Ensure this field has no more than 255 characters.",
            "VALIDATION_ERROR",
        )
        assert rows() == untouched()

    @pytest.mark.parametrize("name", ["user_id", "db_id", "table"])
    def test_query_value_of_255_characters_passes_validation(self, as_user, name):
        # Valid, so the request goes on to the lookup, which finds nothing.
        value = "x" * 255
        response = as_user("root", admin=True).delete(f"/memories/m1?{query(name, value)}")

        expected = {
            "user_id": "Memory not found",
            "db_id": f"No database found with id '{value}'",
            "table": f"No table '{value}' found in database 'default'",
        }[name]
        assert_error(response, 404, expected, "NOT_FOUND")
        assert rows() == untouched()

    @pytest.mark.parametrize("character", ["%00", "%01", "%09", "%0A", "%0D", "%1B", "%1F", "%7F"])
    @pytest.mark.parametrize("name", ["user_id", "db_id", "table"])
    def test_control_character_in_query_value_is_422(self, as_user, name, character):
        response = as_user("alice").delete(f"/memories/m1?{query(name, f'a{character}b')}")

        assert_error(
            response, 422, f"{name}: Must not contain control characters.", "VALIDATION_ERROR"
        )
        assert rows() == untouched()

    @pytest.mark.parametrize("character", ["%00", "%01", "%09", "%0A", "%0D", "%1B", "%1F", "%7F"])
    def test_control_character_in_memory_id_is_422(self, as_user, character):
        response = as_user("root", admin=True).delete(f"/memories/m1{character}")

        assert_error(
            response, 422, "memory_id: Must not contain control characters.", "VALIDATION_ERROR"
        )
        assert rows() == untouched()

    def test_control_character_in_memory_id_is_422_even_when_such_a_row_exists(self, as_user):
        memory_create(memory_id="m\n1", user_id="alice")

        response = as_user("alice").delete("/memories/m%0A1")

        assert_error(
            response, 422, "memory_id: Must not contain control characters.", "VALIDATION_ERROR"
        )
        assert memory_ids_in("default") == SEEDED | {"m\n1"}

    @pytest.mark.parametrize("name", ["user_id", "db_id", "table"])
    def test_empty_query_value_is_422(self, as_user, name):
        response = as_user("alice").delete(f"/memories/m1?{query(name, '')}")

        assert_error(response, 422, f"{name}: This field may not be blank.", "VALIDATION_ERROR")
        assert rows() == untouched()

    def test_every_invalid_field_is_named_in_one_sentence_each(self, as_user):
        response = as_user("alice").delete(f"/memories/m1?db_id=&table={LONG}&user_id=a%00")

        assert_error(
            response,
            422,
            "db_id: This field may not be blank. "
            "table: Ensure this field has no more than 255 characters. "
            "user_id: Must not contain control characters.",
            "VALIDATION_ERROR",
        )
        assert rows() == untouched()

    @pytest.mark.parametrize(
        "query, detail",
        [
            # An unknown db_id (404) is not reported while another parameter is invalid,
            ("db_id=nope&user_id=", "user_id: This field may not be blank."),
            # nor a table given without its db_id (400).
            ("table=a%00b", "table: Must not contain control characters."),
        ],
        ids=["unknown-db_id", "table-without-db_id"],
    )
    def test_validation_comes_before_the_lookup(self, as_user, query, detail):
        response = as_user("alice").delete(f"/memories/m1?{query}")

        assert_error(response, 422, detail, "VALIDATION_ERROR")
        assert rows() == untouched()


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


class ProtocolTests:
    @pytest.mark.parametrize("path", ["/memories/m1", "/memories/m1/"])
    @pytest.mark.parametrize("method", ["put", "post"])
    def test_other_methods_are_405_json(self, as_user, method, path):
        response = getattr(as_user("root", admin=True), method)(
            path, {"memory": "replaced"}, format="json"
        )

        assert_error(
            response, 405, f'Method "{method.upper()}" not allowed.', "METHOD_NOT_ALLOWED"
        )
        assert response["Allow"] == "GET, PATCH, DELETE, HEAD"
        assert rows() == untouched()

    @pytest.mark.parametrize(("path", "method", "allowed"), UNDOCUMENTED_METHODS)
    # An admin's token, with and without the trailing slash; no token at all (the method is
    # refused before any token is read).
    @pytest.mark.parametrize(
        ("admin", "slash"), [(True, ""), (True, "/"), (None, "")], ids=["admin", "slash", "none"]
    )
    def test_every_method_the_document_does_not_list_is_405_json(
        self, as_user, api, path, method, allowed, admin, slash
    ):
        client = api if admin is None else as_user("root", admin=admin)

        response = client.generic(
            method, path + slash, b'{"memory_ids": ["m1"]}', "application/json"
        )

        assert response.status_code == 405
        assert response["Allow"] == ", ".join(allowed)
        if method != "HEAD":
            assert response.json() == {
                "detail": f'Method "{method}" not allowed.',
                "error_code": "METHOD_NOT_ALLOWED",
            }
        assert rows() == untouched()

    @pytest.mark.parametrize(
        "path",
        [
            "/memories/m1/extra",
            "/memories/m1/extra/",
            "/memories//",
            "/memories/a%2Fb",
            "/memory_topics/x",
            "/user_memory_stats/x",
        ],
    )
    @pytest.mark.parametrize("method", ["delete", "get"])
    def test_unknown_routes_under_the_api_are_404_json(self, as_user, method, path):
        response = getattr(as_user("root", admin=True), method)(path)

        assert_error(response, 404, "Not found", "NOT_FOUND")
        assert rows() == untouched()

    def test_unknown_route_is_404_json_without_a_token(self, api):
        # No route there, so no credentials to ask for: 404, not 401.
        response = api.delete("/memories/m1/extra")

        assert_error(response, 404, "Not found", "NOT_FOUND")
        assert "Allow" not in response.headers  # no method is allowed where nothing is
        assert rows() == untouched()

    @pytest.mark.parametrize(
        "method, path, what",
        [
            ("post", "/optimize-memories", "memory optimization (Agno's optimize_memories)"),
            ("post", "/optimize-memories/", "memory optimization (Agno's optimize_memories)"),
            ("get", "/config", "Agno AgentOS the AgentOS configuration (config)"),
            ("get", "/agents", "Agno AgentOS agents (agents)"),
            ("post", "/agents/chef/runs", "Agno AgentOS agents (agents)"),
            ("delete", "/sessions/s1", "Agno AgentOS sessions (sessions)"),
            ("post", "/databases/default/migrate", "Agno AgentOS database migrations"),
            ("get", "/knowledge/content", "Agno AgentOS knowledge bases (knowledge)"),
            ("get", "/trace_session_stats", "Agno AgentOS trace statistics"),
        ],
    )
    @pytest.mark.parametrize("admin", [True, False, None])
    def test_agentos_routes_this_server_lacks_are_501_json(
        self, as_user, api, method, path, what, admin
    ):
        client = api if admin is None else as_user("root", admin=admin)

        response = getattr(client, method)(path, {"user_id": "alice"}, format="json")

        assert response.status_code == 501
        body = response.json()
        assert body["error_code"] == "NOT_IMPLEMENTED"
        assert body["detail"].startswith(
            f"This server administers memories only; it does not provide {what}"
        )
        assert "Allow" not in response.headers
        assert rows() == untouched()

    @pytest.mark.parametrize(
        "accept", [None, "*/*", "application/json", "application/*", "text/html, */*;q=0.1"]
    )
    def test_any_accept_header_json_satisfies_deletes(self, as_user, db_id, accept):
        headers = {} if accept is None else {"HTTP_ACCEPT": accept}
        response = as_user("alice").delete(f"/memories/m1?db_id={db_id}", **headers)

        assert response.status_code == 204
        assert rows() == deleted_from(db_id, "m1")

    @pytest.mark.parametrize("accept", ["text/html", "application/xml"])
    def test_accept_header_json_cannot_satisfy_is_406_and_deletes_nothing(self, as_user, accept):
        response = as_user("alice").delete("/memories/m1", HTTP_ACCEPT=accept)

        assert_error(
            response, 406, "Could not satisfy the request Accept header.", "NOT_ACCEPTABLE"
        )
        assert rows() == untouched()

    def test_format_json_deletes(self, as_user):
        response = as_user("alice").delete("/memories/m1?format=json")

        assert response.status_code == 204
        assert rows() == deleted_from("default", "m1")

    def test_format_the_api_cannot_render_is_404_and_deletes_nothing(self, as_user):
        response = as_user("alice").delete("/memories/m1?format=xml")

        assert_error(response, 404, "Not found", "NOT_FOUND")
        assert rows() == untouched()
