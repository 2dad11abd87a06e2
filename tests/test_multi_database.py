"""Routing: each db_id and table reaches its own database, and only that one."""

import pytest
from django.db import connections

from memories.models import MemoryDeletion
from tests.conftest import ALL_DB_IDS, require_db_id
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")


def configured_db_ids() -> list[str]:
    return [db_id for db_id in ALL_DB_IDS if db_id in connections.settings]


class RoutingTests:
    def test_same_memory_id_deleted_only_where_db_id_points(self, as_user, db_id):
        for each in configured_db_ids():
            memory_create(each, memory_id="shared", user_id="alice")

        response = as_user("alice").delete(f"/memories/shared?db_id={db_id}")

        assert response.status_code == 204
        for each in configured_db_ids():
            assert memory_ids_in(each) == (set() if each == db_id else {"shared"}), each

    def test_three_engines_hold_the_same_id_and_pg_loses_only_its_own(self, as_user):
        require_db_id("pg")
        require_db_id("maria")
        for each in ("lite", "pg", "maria"):
            memory_create(each, memory_id="shared", user_id="alice")

        response = as_user("alice").delete("/memories/shared?db_id=pg")

        assert response.status_code == 204
        assert memory_ids_in("pg") == set()
        assert memory_ids_in("lite") == {"shared"}
        assert memory_ids_in("maria") == {"shared"}

    def test_no_db_id_means_the_default_database(self, as_user):
        for each in configured_db_ids():
            memory_create(each, memory_id="shared", user_id="alice")

        assert as_user("alice").delete("/memories/shared").status_code == 204

        for each in configured_db_ids():
            assert memory_ids_in(each) == (set() if each == "default" else {"shared"}), each

    def test_schema_qualified_table_selected_with_table(self, as_user):
        require_db_id("pg")
        memory_create("pg", memory_id="shared", user_id="alice")
        memory_create("pg", "ai.agno_memories", memory_id="shared", user_id="alice")
        memory_create("pg", "ai.agno_memories", memory_id="other", user_id="alice")

        response = as_user("alice").delete("/memories/shared?db_id=pg&table=ai.agno_memories")

        assert response.status_code == 204
        assert memory_ids_in("pg", "ai.agno_memories") == {"other"}
        assert memory_ids_in("pg") == {"shared"}

    def test_audit_record_names_db_id_and_table_on_default(self, as_user):
        require_db_id("pg")
        memory_create("pg", "ai.agno_memories", memory_id="m1", user_id="alice")

        as_user("alice").delete("/memories/m1?db_id=pg&table=ai.agno_memories")

        record = MemoryDeletion.objects.using("default").get()
        assert (record.db_id, record.table_name) == ("pg", "ai.agno_memories")
