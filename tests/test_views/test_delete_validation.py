"""A DELETE's query string and path checked before any lookup: 400 for what cannot be
answered, 422 for values no database can hold."""

import pytest

from tests.factories import memory_create, memory_ids_in
from tests.test_views.conftest import (
    SEEDED,
    assert_error,
    query,
    rows,
    untouched,
)

pytestmark = pytest.mark.django_db(databases="__all__")


LONG = "x" * 256


@pytest.mark.usefixtures("seeded")
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


@pytest.mark.usefixtures("seeded")
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
