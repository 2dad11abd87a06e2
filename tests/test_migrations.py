"""Models and migrations agree."""

import sqlite3
import sys
from contextlib import closing
from io import StringIO

import pytest
from agno.db.schemas.memory import UserMemory
from agno.db.sqlite import SqliteDb
from django.core.management import call_command

from tests.servers import project_command


@pytest.mark.django_db(databases=["default"])
def test_no_missing_migrations():
    out = StringIO()
    call_command("makemigrations", "--check", "--dry-run", stdout=out)
    assert "No changes detected" in out.getvalue()


def test_fake_initial_adopts_an_agno_table_on_the_default_database(tmp_path):
    """A project pointed at Agno's own database keeps its memories and gains the audit table."""
    path = tmp_path / "agno.db"
    SqliteDb(db_file=str(path)).upsert_user_memory(
        UserMemory(memory="Likes tea", memory_id="agno-1", user_id="alice")
    )

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
    assert applied == [("0001_initial",), ("0002_memorydeletion",)]
    assert audit == (0,)
