"""PATCH /memories/{memory_id} (MemoryViewSet.partial_update)."""

import pytest

from tests.factories import memory_create, memory_ids_in, model_of
from tests.test_views.conftest import (
    NOT_FOUND,
)

pytestmark = pytest.mark.django_db(databases="__all__")


class UpdateTests:
    def test_changes_only_the_given_fields(self, as_user, db_id):
        memory_create(db_id, memory_id="m1", user_id="alice", memory="old", topics=["a"])

        response = as_user("alice").patch(
            f"/memories/m1?db_id={db_id}", {"topics": ["b"]}, format="json"
        )

        assert response.status_code == 200
        assert (response.json()["memory"], response.json()["topics"]) == ("old", ["b"])
        row = model_of(db_id)._default_manager.using(db_id).get(memory_id="m1")
        assert (row.memory, row.topics, row.user_id) == ("old", ["b"], "alice")

    def test_never_changes_the_owner(self, as_user):
        memory_create(memory_id="m1", user_id="bob", memory="old")
        admin = as_user("root", admin=True)

        moved = admin.patch("/memories/m1", {"memory": "new", "user_id": "carol"}, format="json")
        kept = admin.patch("/memories/m1", {"memory": "new", "user_id": "bob"}, format="json")

        assert moved.status_code == 404
        assert kept.status_code == 200
        row = model_of("default")._default_manager.get(memory_id="m1")
        assert (row.user_id, row.memory) == ("bob", "new")

    def test_unknown_id_is_404_and_creates_nothing(self, as_user):
        response = as_user("alice").patch("/memories/nope", {"memory": "x"}, format="json")

        assert response.status_code == 404
        assert response.json() == NOT_FOUND
        assert memory_ids_in("default") == set()

    def test_other_users_memory_is_404_and_unchanged(self, as_user):
        memory_create(memory_id="m1", user_id="bob", memory="old")

        response = as_user("alice").patch("/memories/m1", {"memory": "new"}, format="json")

        assert response.status_code == 404
        assert model_of("default")._default_manager.get(memory_id="m1").memory == "old"

    def test_contradictory_user_ids_are_400(self, as_user):
        memory_create(memory_id="m1", user_id="alice", memory="old")

        response = as_user("alice").patch(
            "/memories/m1?user_id=alice", {"memory": "new", "user_id": "bob"}, format="json"
        )

        assert response.status_code == 400
        assert model_of("default")._default_manager.get(memory_id="m1").memory == "old"
