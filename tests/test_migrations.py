"""Models and migrations agree."""

import sqlite3
import sys
from contextlib import closing
from io import StringIO

import pytest
from agno.db.schemas.memory import UserMemory
from agno.db.sqlite import SqliteDb
from django.core.management import call_command
from django.db import DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from memories.models import MemoryDeletion
from tests.servers import project_command


@pytest.mark.django_db(databases=["default"])
def test_no_missing_migrations():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_fake_initial_adopts_an_agno_table_on_the_default_database(tmp_path):
    """A project pointed at Agno's own database keeps its memories and gains the audit table."""
    path = tmp_path / "agno.db"
    agno = SqliteDb(db_file=str(path))
    agno.upsert_user_memory(UserMemory(memory="Likes tea", memory_id="agno-1", user_id="alice"))
    agno.db_engine.dispose()

    result = project_command(
        [sys.executable, "manage.py", "migrate", "--fake-initial", "--noinput"],
        DATABASE_URL=f"sqlite:///{path}",
        DJANGO_SECRET_KEY="migration-test",
    )

    assert result.returncode == 0, result.stderr
    with closing(sqlite3.connect(path)) as connection:
        memories = connection.execute("SELECT memory_id, user_id FROM agno_memories").fetchall()
        applied = connection.execute(
            "SELECT name FROM django_migrations WHERE app = 'memories' ORDER BY name"
        ).fetchall()
        audit = connection.execute("SELECT count(*) FROM memories_memorydeletion").fetchone()
    assert memories == [("agno-1", "alice")]
    assert applied == [
        ("0001_initial",),
        ("0002_memorydeletion",),
        ("0003_memory_ids_lz4",),
        ("0004_memoryexport_retention_channel",),
        ("0005_audit_request_id",),
    ]
    assert audit == (0,)


@pytest.mark.django_db(databases=["default"], transaction=True)
def test_audit_id_lists_are_compressed_with_lz4_on_postgresql():
    connection = connections["default"]
    if connection.vendor != "postgresql":
        pytest.skip("column compression is PostgreSQL's")

    def column_compression() -> str:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT attcompression FROM pg_attribute WHERE attname = 'memory_ids'"
                " AND attrelid = 'memories_memorydeletion'::regclass"
            )
            return str(cursor.fetchone()[0])

    def migrate_to(name: str) -> None:
        MigrationExecutor(connection).migrate([("memories", name)])

    try:
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("SET LOCAL default_toast_compression = lz4")
        lz4 = True
    except DatabaseError:
        lz4 = False  # a server built without lz4 keeps pglz
    ids = [f"memory-{number:07}" for number in range(5000)]
    record = MemoryDeletion.objects.create(
        actor="root",
        channel="command",
        db_id="default",
        table_name="t",
        count=5000,
        memory_ids=ids,
        user_ids=["alice"],
    )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_column_compression(memory_ids) FROM memories_memorydeletion WHERE id = %s",
            [record.pk],
        )
        stored = cursor.fetchone()[0]

    assert (column_compression(), stored) == (("l", "lz4") if lz4 else ("", "pglz"))
    assert MemoryDeletion.objects.get(pk=record.pk).memory_ids == ids
    latest = MigrationExecutor(connection).loader.graph.leaf_nodes("memories")
    try:
        migrate_to("0002_memorydeletion")
        assert column_compression() == ""  # the server's default again
        migrate_to("0003_memory_ids_lz4")
        assert column_compression() == ("l" if lz4 else "")
    finally:
        # Every later migration again (0002 dropped the export records' table), for the
        # tests that run after this one.
        MigrationExecutor(connection).migrate(latest)
