"""migrate_memory_databases: every memory database beside `default`, the unreachable ones
skipped with a warning."""

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db import connections
from django.db.migrations.loader import MigrationLoader

from memories.targets import configured_db_ids

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

# The app's newest migration: a database that lost its record has that one left to apply
# (an older one would leave the newer applied before its dependency).
NEWEST = max(name for app, name in MigrationLoader(None).disk_migrations if app == "memories")


def applied(alias: str) -> set[str]:
    with connections[alias].cursor() as cursor:
        cursor.execute("SELECT name FROM django_migrations WHERE app = 'memories'")
        return {row[0] for row in cursor.fetchall()}


def test_a_database_that_is_down_is_skipped_with_a_warning(caplog, down):
    others = [alias for alias in configured_db_ids().values() if alias not in ("default", down)]
    with connections["lite"].cursor() as cursor:
        cursor.execute(
            "DELETE FROM django_migrations WHERE app = 'memories' AND name = %s", [NEWEST]
        )

    with caplog.at_level(logging.WARNING, logger="memories.databases"):
        call_command("migrate_memory_databases", stdout=StringIO())

    (warning,) = [r for r in caplog.records if r.name == "memories.databases"]
    assert warning.levelno == logging.WARNING
    assert warning.getMessage().startswith(
        f"memory database {down} (db_id {down}) not migrated, its requests will fail: "
    )
    assert "\n" not in warning.getMessage()
    for alias in others:  # migrated, the one that had lost its record too
        assert NEWEST in applied(alias)


def test_strict_fails_naming_the_databases_it_could_not_migrate(down):
    with pytest.raises(CommandError) as failed:
        call_command("migrate_memory_databases", "--strict", stdout=StringIO())

    assert str(failed.value) == f"Not migrated: {down}."
