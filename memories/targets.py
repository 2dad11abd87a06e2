"""Turns a (db_id, table) pair into the database alias and model to query.

The only module that knows database aliases: the API, the admin and the commands
name databases by db_id and tables by their configured names.
"""

import functools
import re
from dataclasses import dataclass

from django.apps.registry import Apps
from django.db import connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.base.operations import BaseDatabaseOperations

from memories.conf import memories_settings
from memories.exceptions import (
    DatabaseNotFoundError,
    TableNotFoundError,
    TableWithoutDatabaseError,
)
from memories.models import AbstractMemory, Memory
from memories.statements import Statements, statements_for
from memories.table_presence import table_exists

# Models of tables other than the default live in a registry of their own, so they never
# reach migrations, the admin or the content types of the host project.
_table_models = Apps()


@dataclass(frozen=True)
class MemoryTarget:
    """One memory table in one database."""

    db_id: str
    table: str
    alias: str

    @property
    def model(self) -> type[AbstractMemory]:
        return memory_model(connections[self.alias], self.table)

    @property
    def quoted_table(self) -> str:
        return quote_table(connections[self.alias].ops, self.table)

    @functools.cached_property
    def statements(self) -> Statements:
        """The DELETE statements of the target's engine, looked up once per target."""
        return statements_for(self.alias)


def configured_db_ids() -> dict[str, str]:
    """db_id -> alias, as configured."""
    databases: dict[str, str] = memories_settings.DATABASES
    return databases


def configured_tables(db_id: str) -> list[str]:
    """The memory tables of a db_id, its default first."""
    tables: dict[str, list[str]] = memories_settings.TABLES
    return list(tables.get(db_id) or [memories_settings.DEFAULT_TABLE])


def resolve_target(*, db_id: str | None = None, table: str | None = None) -> MemoryTarget:
    """The target named by optional db_id and table, or the domain error that says why not."""
    if table is not None and db_id is None:
        raise TableWithoutDatabaseError()
    if db_id is None:
        db_id = memories_settings.DEFAULT_DB_ID
    alias = configured_db_ids().get(db_id)
    if alias is None:
        raise DatabaseNotFoundError(db_id)
    tables = configured_tables(db_id)
    if table is None:
        table = tables[0]
    elif table not in tables:
        raise TableNotFoundError(db_id, table)
    return MemoryTarget(db_id=db_id, table=table, alias=alias)


def all_targets() -> list[MemoryTarget]:
    """Every configured table of every configured database."""
    return [
        MemoryTarget(db_id=db_id, table=table, alias=alias)
        for db_id, alias in configured_db_ids().items()
        for table in configured_tables(db_id)
    ]


def quote_table(ops: BaseDatabaseOperations, table: str) -> str:
    """The table name quoted for SQL by the engine's operations; "schema.table" quotes both
    parts."""
    return ".".join(ops.quote_name(part) for part in table.split("."))


def memory_model(connection: BaseDatabaseWrapper, table: str) -> type[AbstractMemory]:
    """The model class for a memory table as the connection's database names it."""
    # Django leaves an already quoted db_table alone, which lets it name "schema"."table".
    db_table = quote_table(connection.ops, table) if "." in table else table
    return _memory_model(connection.vendor, table, db_table)


@functools.cache
def _memory_model(vendor: str, table: str, db_table: str) -> type[AbstractMemory]:
    """One model class per engine and table: Django warns when a second class of one name
    joins a registry."""
    if table == Memory._meta.db_table:
        return Memory
    name = "Memory_" + re.sub(r"\W", "_", f"{vendor}_{table}")
    meta = type(
        "Meta",
        (),
        {"db_table": db_table, "managed": False, "apps": _table_models, "app_label": "memories"},
    )
    model = type(name, (AbstractMemory,), {"__module__": __name__, "Meta": meta})
    return model


def has_table(target: MemoryTarget) -> bool:
    """Whether the target's table exists in its database (raises if it is unreachable)."""
    connection = connections[target.alias]
    schema, _, name = target.table.rpartition(".")
    with connection.cursor() as cursor:
        if not schema:
            return table_exists(connection, cursor, name)
        cursor.execute(
            "SELECT 1 FROM information_schema.tables WHERE table_schema = %s AND table_name = %s",
            [schema, name],
        )
        return cursor.fetchone() is not None


def require_table(target: MemoryTarget) -> None:
    """Raise TableNotFoundError when the target's table is absent."""
    if not has_table(target):
        raise TableNotFoundError(target.db_id, target.table)
