"""MemoryRouter: memory tables on the memory databases, everything else on default."""

import pytest
from django.db import connections

from memories.models import Memory, MemoryDeletion
from memories.routers import MemoryRouter
from tests.conftest import require_db_id

pytestmark = pytest.mark.django_db(databases="__all__")


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
