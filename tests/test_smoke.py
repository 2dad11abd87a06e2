import pytest

from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")


def test_owner_deletes(as_user, db_id):
    memory_create(db_id, memory_id="m1", user_id="alice")
    memory_create(db_id, memory_id="m2", user_id="alice")
    response = as_user("alice").delete(f"/memories/m1?db_id={db_id}")
    assert response.status_code == 204
    assert memory_ids_in(db_id) == {"m2"}


def test_other_user_404(as_user, db_id):
    memory_create(db_id, memory_id="m1", user_id="alice")
    response = as_user("Alice").delete(f"/memories/m1/?db_id={db_id}")
    assert response.status_code == 404, response.content
    assert response.json() == {"detail": "Memory not found", "error_code": "NOT_FOUND"}
    assert memory_ids_in(db_id) == {"m1"}
