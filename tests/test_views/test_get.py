"""GET /memories/{memory_id} (MemoryViewSet.retrieve)."""

import pytest

from tests.factories import memory_create
from tests.test_views.conftest import (
    NOT_FOUND,
)

pytestmark = pytest.mark.django_db(databases="__all__")


class GetTests:
    def test_owner_reads_and_others_get_404(self, as_user, db_id):
        memory_create(db_id, memory_id="m1", user_id="alice", memory="Likes tea")

        own = as_user("alice").get(f"/memories/m1?db_id={db_id}")
        foreign = as_user("bob").get(f"/memories/m1?db_id={db_id}")
        admin = as_user("root", admin=True).get(f"/memories/m1/?db_id={db_id}")

        assert own.status_code == 200
        assert own.json()["memory"] == "Likes tea"
        assert foreign.status_code == 404
        assert foreign.json() == NOT_FOUND
        assert admin.status_code == 200

    def test_table_of_another_database(self, as_user):
        memory_create("lite", memory_id="m1", user_id="alice")

        assert as_user("alice").get("/memories/m1").status_code == 404
        assert as_user("alice").get("/memories/m1?db_id=lite").status_code == 200
