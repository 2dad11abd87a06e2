"""Targets: (db_id, table) resolved to an alias and a table, or a clear error."""

import pytest
from django.db import connections
from django.db.backends.base.operations import BaseDatabaseOperations
from django.db.backends.mysql.operations import DatabaseOperations as MySQLOperations
from django.db.backends.postgresql.operations import DatabaseOperations as PostgreSQLOperations

from memories.exceptions import (
    DatabaseNotFoundError,
    TableNotFoundError,
    TableWithoutDatabaseError,
)
from memories.models import Memory
from memories.statements import statements_for
from memories.targets import (
    MemoryTarget,
    all_targets,
    has_table,
    memory_model,
    quote_table,
    resolve_target,
)
from tests.conftest import require_db_id

pytestmark = pytest.mark.django_db(databases="__all__")


def operations_of(vendor: str) -> BaseDatabaseOperations:
    """An engine's operations, without a server to connect to."""
    if vendor == "sqlite":
        return connections["default"].ops  # SQLite in every test configuration
    engines = {"postgresql": PostgreSQLOperations, "mysql": MySQLOperations}
    # Quoting reads no connection.
    return engines[vendor](None)  # type: ignore[arg-type]


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
        assert quote_table(operations_of(vendor), "ai.agno_memories") == quoted

    def test_default_table_uses_the_memory_model(self):
        assert memory_model(connections["default"], "agno_memories") is Memory

    def test_other_tables_get_one_unmanaged_model_each(self):
        model = memory_model(connections["default"], "ai.agno_memories")
        assert model is memory_model(connections["default"], "ai.agno_memories")
        assert model._meta.db_table == '"ai"."agno_memories"'
        assert not model._meta.managed

    def test_a_target_carries_its_engines_statements(self, db_id):
        chosen = resolve_target(db_id=db_id)

        assert type(chosen.statements) is type(statements_for(chosen.alias))
        assert chosen.statements is chosen.statements
        assert chosen.statements.connection is connections[chosen.alias]

    def test_table_exists(self, db_id):
        assert has_table(resolve_target(db_id=db_id))

    def test_missing_table_does_not_exist(self):
        assert not has_table(resolve_target(db_id="lite", table="missing_memories"))

    def test_schema_qualified_table_exists(self):
        require_db_id("pg")
        assert has_table(resolve_target(db_id="pg", table="ai.agno_memories"))
