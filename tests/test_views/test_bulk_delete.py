"""DELETE /memories with a list of ids (MemoryViewSet.bulk_destroy)."""

import json

import pytest

from memories.models import MemoryDeletion
from tests.factories import memory_create, memory_ids_in, model_of

pytestmark = pytest.mark.django_db(databases="__all__")


class BulkDeleteTests:
    def test_deletes_only_what_the_caller_owns(self, as_user, db_id):
        memory_create(db_id, memory_id="a1", user_id="alice")
        memory_create(db_id, memory_id="a2", user_id="alice")
        memory_create(db_id, memory_id="b1", user_id="bob")

        response = as_user("alice").delete(
            f"/memories?db_id={db_id}",
            {"memory_ids": ["a1", "b1", "a1", "zz"]},
            format="json",
        )

        assert response.status_code == 204
        assert memory_ids_in(db_id) == {"a2", "b1"}
        record = MemoryDeletion.objects.get()
        assert (record.memory_ids, record.user_ids, record.count) == (["a1"], ["alice"], 1)

    def test_admin_deletes_any_and_narrows_by_user_id(self, as_user):
        memory_create(memory_id="a1", user_id="alice")
        memory_create(memory_id="b1", user_id="bob")
        memory_create(memory_id="b2", user_id="bob")
        admin = as_user("root", admin=True)

        admin.delete("/memories", {"memory_ids": ["a1", "b1"], "user_id": "bob"}, format="json")
        assert memory_ids_in("default") == {"a1", "b2"}
        admin.delete("/memories", {"memory_ids": ["a1", "b2"]}, format="json")
        assert memory_ids_in("default") == set()

    def test_regular_token_naming_another_user_deletes_nothing(self, as_user):
        memory_create(memory_id="b1", user_id="bob")

        response = as_user("alice").delete(
            "/memories", {"memory_ids": ["b1"], "user_id": "bob"}, format="json"
        )

        assert response.status_code == 204
        assert memory_ids_in("default") == {"b1"}

    @pytest.mark.parametrize(
        "body, detail",
        [
            ({}, "memory_ids: This field is required."),
            ({"memory_ids": []}, "memory_ids: Ensure this field has at least 1 elements."),
            (
                {"memory_ids": [f"m{n}" for n in range(1001)]},
                "memory_ids: Ensure this field has no more than 1000 elements.",
            ),
            (
                {"memory_ids": [1, "a1", True]},
                "memory_ids[0]: Must be a string. memory_ids[2]: Must be a string.",
            ),
            ({"memory_ids": "a1"}, 'memory_ids: Expected a list of items but got type "str".'),
        ],
        ids=["missing", "empty", "oversized", "numbers", "string"],
    )
    def test_invalid_lists_are_422_and_delete_nothing(self, as_user, body, detail):
        memory_create(memory_id="a1", user_id="alice")

        response = as_user("alice").delete("/memories", body, format="json")

        assert response.status_code == 422
        assert response.json() == {"detail": detail, "error_code": "VALIDATION_ERROR"}
        assert memory_ids_in("default") == {"a1"}

    @pytest.mark.parametrize(
        "memory_id, detail",
        [
            ("\ud800", "memory_ids[1]: Surrogate characters are not allowed: U+D800."),
            ("a\x00", "memory_ids[1]: Must not contain control characters."),
        ],
        ids=["lone surrogate", "nul"],
    )
    def test_an_id_no_database_can_hold_is_422_on_every_engine(
        self, as_user, db_id, memory_id, detail
    ):
        memory_create(db_id, memory_id="a1", user_id="alice")

        response = as_user("alice").delete(
            f"/memories?db_id={db_id}",
            json.dumps({"memory_ids": ["a1", memory_id]}),  # "\ud800" escaped, as JSON allows
            content_type="application/json",
        )

        assert response.status_code == 422
        assert response.json() == {"detail": detail, "error_code": "VALIDATION_ERROR"}
        assert memory_ids_in(db_id) == {"a1"}
        assert not MemoryDeletion.objects.exists()

    def test_a_thousand_ids_in_one_transaction(self, as_user, db_id):
        model = model_of(db_id)
        model._default_manager.using(db_id).bulk_create(
            model(memory_id=f"m{n}", memory="x", user_id="alice", created_at=1)
            for n in range(1000)
        )

        response = as_user("alice").delete(
            f"/memories?db_id={db_id}",
            {"memory_ids": [f"m{n}" for n in range(1000)]},
            format="json",
        )

        assert response.status_code == 204
        assert memory_ids_in(db_id) == set()
        assert MemoryDeletion.objects.get().count == 1000
