"""Whose memory a DELETE reaches: the owner's alone, an admin's anyone's, and only by exact
match of owner and memory_id."""

from urllib.parse import quote

import pytest

from tests.factories import memory_create, memory_ids_in
from tests.test_views.conftest import (
    SEEDED,
    assert_error,
    deleted_from,
    rows,
    untouched,
)

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.mark.usefixtures("seeded")
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


@pytest.mark.usefixtures("seeded")
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
