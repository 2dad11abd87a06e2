"""Routing: each db_id and table reaches its own database, and only that one."""

import pytest
from django.db import connections

from memories.exceptions import (
    DatabaseNotFoundError,
    TableNotFoundError,
    TableWithoutDatabaseError,
)
from memories.models import Memory, MemoryDeletion
from memories.routers import MemoryRouter
from memories.targets import (
    MemoryTarget,
    all_targets,
    has_table,
    memory_model,
    quote_table,
    resolve_target,
)
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


class ResolveTargetTests:
    def test_defaults(self):
        assert resolve_target() == MemoryTarget(
            db_id="default", table="agno_memories", alias="default"
        )

    def test_first_configured_table_is_the_default_of_a_db_id(self):
        assert resolve_target(db_id="lite").table == "agno_memories"
        assert resolve_target(db_id="lite", table="missing_memories").table == "missing_memories"

    def test_table_without_db_id(self):
        with pytest.raises(TableWithoutDatabaseError):
            resolve_target(table="agno_memories")

    def test_unknown_db_id(self):
        with pytest.raises(DatabaseNotFoundError, match="No database found with id 'x'"):
            resolve_target(db_id="x")

    def test_unknown_table(self):
        with pytest.raises(TableNotFoundError):
            resolve_target(db_id="default", table="ai.agno_memories")

    def test_all_targets_lists_every_table_of_every_db_id(self):
        pairs = {(target.db_id, target.table) for target in all_targets()}
        assert ("lite", "missing_memories") in pairs
        assert ("default", "agno_memories") in pairs
        assert len(pairs) == len(all_targets())

    @pytest.mark.parametrize(
        "vendor, quoted",
        [
            ("postgresql", '"ai"."agno_memories"'),
            ("sqlite", '"ai"."agno_memories"'),
            ("mysql", "`ai`.`agno_memories`"),
        ],
    )
    def test_quote_table(self, vendor, quoted):
        assert quote_table(vendor, "ai.agno_memories") == quoted

    def test_default_table_uses_the_memory_model(self):
        assert memory_model("postgresql", "agno_memories") is Memory

    def test_other_tables_get_one_unmanaged_model_each(self):
        model = memory_model("postgresql", "ai.agno_memories")
        assert model is memory_model("postgresql", "ai.agno_memories")
        assert model._meta.db_table == '"ai"."agno_memories"'
        assert not model._meta.managed

    def test_table_exists(self, db_id):
        assert has_table(resolve_target(db_id=db_id))

    def test_missing_table_does_not_exist(self):
        assert not has_table(resolve_target(db_id="lite", table="missing_memories"))

    def test_schema_qualified_table_exists(self):
        require_db_id("pg")
        assert has_table(resolve_target(db_id="pg", table="ai.agno_memories"))


class MemoryRouterTests:
    @pytest.mark.parametrize("memory_db_id", ["lite", "pg", "maria"])
    def test_memory_databases_hold_only_memory_tables(self, memory_db_id):
        require_db_id(memory_db_id)
        connection = connections[memory_db_id]
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
        assert "agno_memories" in tables
        assert tables.isdisjoint({"auth_user", "django_content_type", "memories_memorydeletion"})

    def test_default_holds_memories_audit_and_auth(self):
        connection = connections["default"]
        with connection.cursor() as cursor:
            tables = set(connection.introspection.table_names(cursor))
        assert {"agno_memories", "memories_memorydeletion", "auth_user"} <= tables

    def test_allow_migrate(self):
        router = MemoryRouter()
        assert router.allow_migrate("lite", "memories", "memory") is True
        assert router.allow_migrate("lite", "memories", "memorydeletion") is False
        assert router.allow_migrate("default", "memories", "memorydeletion") is True
        assert router.allow_migrate("lite", "auth", "user") is False
        assert router.allow_migrate("default", "auth", "user") is None
        assert router.allow_migrate("elsewhere", "memories", "memory") is False

    def test_reads_and_writes_of_memories_default_to_the_default_db_id(self):
        router = MemoryRouter()
        assert router.db_for_read(Memory) == "default"
        assert router.db_for_write(Memory) == "default"
        assert router.db_for_read(MemoryDeletion) is None
