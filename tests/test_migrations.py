"""Models and migrations agree."""

import sqlite3
import sys
from collections.abc import Iterator
from contextlib import closing, contextmanager
from io import StringIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import psycopg
import pytest
from agno.db.schemas.memory import UserMemory
from agno.db.sqlite import SqliteDb
from django.core.management import call_command
from django.db import DatabaseError, connections, transaction
from django.db.migrations.executor import MigrationExecutor

from memories.models import MemoryDeletion
from tests.conftest import require_db_id
from tests.databases import PG_SERVER, scratch_mariadb_database, scratch_postgres_database
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
        ("0006_audit_indexes_without_patterns",),
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


def _execute(engine: str, url: str, sql: str) -> list[tuple[Any, ...]]:
    """The rows a statement answers, on the scratch database (committed)."""
    if engine == "sqlite":
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as lite:
            rows = lite.execute(sql).fetchall()
            lite.commit()
            return rows
    if engine == "pg":
        with psycopg.connect(url, autocommit=True) as pg:
            cursor = pg.execute(sql)
            return cursor.fetchall() if cursor.description else []
    connection = _mariadb_connection(url)
    try:
        cursor = connection.cursor()
        cursor.execute(sql)
        connection.commit()
        return list(cursor.fetchall())
    finally:
        connection.close()


def _mariadb_connection(url: str) -> Any:
    import MySQLdb  # type: ignore[import-untyped]

    address = urlsplit(url)
    return MySQLdb.connect(
        host=address.hostname,
        port=address.port or 3306,
        user=address.username,
        password=address.password or "",
        database=address.path.lstrip("/"),
    )


def _indexes(engine: str, url: str) -> dict[str, str]:
    """Each index of the audit records' tables, by name, with its column(s)."""
    tables = "memories_memory%"
    if engine == "sqlite":
        with closing(sqlite3.connect(url.removeprefix("sqlite:///"))) as lite:
            names = lite.execute(
                "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name LIKE ?"
                " AND name NOT LIKE 'sqlite_autoindex%'",
                [tables],
            ).fetchall()
            return {
                name: ",".join(row[2] for row in lite.execute(f'PRAGMA index_info("{name}")'))
                for (name,) in names
            }
    if engine == "pg":
        with psycopg.connect(url) as pg:
            rows = pg.execute(
                "SELECT i.relname, string_agg(a.attname, ',' ORDER BY a.attnum)"
                " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
                " JOIN pg_class t ON t.oid = x.indrelid"
                " JOIN pg_attribute a ON a.attrelid = t.oid AND a.attnum = ANY(x.indkey)"
                " WHERE t.relname LIKE %s GROUP BY i.relname",
                [tables],
            ).fetchall()
            return dict(rows)
    connection = _mariadb_connection(url)
    try:
        cursor = connection.cursor()
        # Each table's primary key is PRIMARY: told apart by the table.
        cursor.execute(
            "SELECT IF(index_name = 'PRIMARY', CONCAT(table_name, '.PRIMARY'), index_name),"
            " GROUP_CONCAT(column_name ORDER BY seq_in_index)"
            " FROM information_schema.statistics WHERE table_schema = DATABASE()"
            " AND table_name LIKE %s GROUP BY table_name, index_name",
            [tables],
        )
        return dict(cursor.fetchall())
    finally:
        connection.close()


def _pg_definitions(url: str) -> dict[str, tuple[int, str]]:
    """PostgreSQL: each index of the audit records' tables by name, with its oid (the same
    after a rename, another after a rebuild) and its definition, its name left out."""
    with psycopg.connect(url) as pg:
        rows = pg.execute(
            "SELECT i.relname, i.oid, replace(pg_get_indexdef(i.oid), i.relname, '')"
            " FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid"
            " JOIN pg_class t ON t.oid = x.indrelid WHERE t.relname LIKE 'memories_memory%'"
        ).fetchall()
    return {name: (oid, definition) for name, oid, definition in rows}


@contextmanager
def _scratch_database(engine: str, tmp_path: Path) -> Iterator[str]:
    if engine == "sqlite":
        yield f"sqlite:///{tmp_path / 'audit.sqlite3'}"
    elif engine == "pg":
        with scratch_postgres_database("agentos_audit_indexes") as name:
            yield f"{PG_SERVER}/{name}"
    else:
        with scratch_mariadb_database("agentos_audit_indexes") as url:
            yield url


def _migrate(url: str, *target: str) -> None:
    result = project_command(
        [sys.executable, "manage.py", "migrate", *target, "--noinput"],
        DATABASE_URL=url,
        DJANGO_SECRET_KEY="migration-test",
    )
    assert result.returncode == 0, result.stderr


# Migration 0006's declared indexes: one per text field looked up, no pattern twin.
DECLARED = {
    "memories_del_actor": "actor",
    "memories_del_channel": "channel",
    "memories_del_db_id": "db_id",
    "memories_del_request_id": "request_id",
    "memories_exp_actor": "actor",
    "memories_exp_channel": "channel",
    "memories_exp_db_id": "db_id",
    "memories_exp_user_id": "user_id",
    "memories_exp_request_id": "request_id",
}


def _untouched(indexes: dict[str, str]) -> dict[str, str]:
    """The primary keys' and the times' indexes, which 0006 leaves as they are."""
    return {name: columns for name, columns in indexes.items() if columns not in DECLARED.values()}


@pytest.mark.parametrize("engine", ["sqlite", "pg", "maria"])
def test_the_audit_indexes_are_renamed_not_rebuilt_and_lose_their_pattern_twins(engine, tmp_path):
    """0006 on a database that 0005 made, holding a record: each text field keeps one index
    (PostgreSQL's varchar_pattern_ops twins dropped), under its declared name, and the record;
    backwards, the database is as 0005 left it."""
    if engine != "sqlite":
        require_db_id(engine)
    with _scratch_database(engine, tmp_path) as url:
        _migrate(url, "memories", "0005_audit_request_id")
        made_by_0005 = _indexes(engine, url)
        untouched = _untouched(made_by_0005)
        replaced = set(made_by_0005) - set(untouched)
        # Each field's, and on PostgreSQL its pattern twin.
        assert len(replaced) == (18 if engine == "pg" else 9)
        assert len([name for name in replaced if name.endswith("_like")]) == len(replaced) - 9
        _execute(
            engine,
            url,
            "INSERT INTO memories_memorydeletion (deleted_at, actor, channel, db_id, table_name,"
            " memory_ids, user_ids, count, request_id)"
            " VALUES ('2026-12-07 12:00:00', 'alice', 'api', 'default', 't', '[\"m1\"]',"
            " '[\"alice\"]', 1, 'r')",
        )

        before = _pg_definitions(url) if engine == "pg" else {}

        _migrate(url)
        assert _indexes(engine, url) == {**untouched, **DECLARED}
        assert _execute(engine, url, "SELECT actor, count FROM memories_memorydeletion") == [
            ("alice", 1)
        ]
        if engine == "pg":
            after = _pg_definitions(url)
            plain = {name: before[name] for name in replaced if not name.endswith("_like")}
            # Each declared index is the field's plain index, renamed, not built again.
            assert sorted(after[name] for name in DECLARED) == sorted(plain.values())
            assert not any("pattern_ops" in definition for _oid, definition in after.values())

        _migrate(url, "memories", "0005_audit_request_id")
        assert _indexes(engine, url) == made_by_0005
        if engine == "pg":
            restored = _pg_definitions(url)
            assert {name: restored[name] for name in plain} == plain
            assert {
                name
                for name, (_oid, definition) in restored.items()
                if "varchar_pattern_ops" in definition
            } == replaced - set(plain)
        assert _execute(engine, url, "SELECT actor, count FROM memories_memorydeletion") == [
            ("alice", 1)
        ]


def test_the_audit_indexes_migration_finishes_a_run_that_stopped_halfway_on_mariadb(tmp_path):
    """MariaDB commits each ALTER at once: a run of 0006 that failed after renaming some
    indexes left them renamed, and the next run renames the rest."""
    require_db_id("maria")
    with _scratch_database("maria", tmp_path) as url:
        _migrate(url, "memories", "0005_audit_request_id")
        made_by_0005 = _indexes("maria", url)
        (actor,) = [
            name
            for name, columns in made_by_0005.items()
            if columns == "actor" and name.startswith("memories_memorydeletion_")
        ]
        _execute(
            "maria",
            url,
            f"ALTER TABLE memories_memorydeletion RENAME INDEX {actor} TO memories_del_actor",
        )

        _migrate(url)

        untouched = _untouched(made_by_0005)
        assert _indexes("maria", url) == {**untouched, **DECLARED}


def test_the_audit_indexes_migration_renames_an_index_it_finds_under_another_name(tmp_path):
    """A records' table whose field index another name holds (made by other means than
    these migrations): that index is renamed, not joined by a second one on the column."""
    require_db_id("pg")
    with _scratch_database("pg", tmp_path) as url:
        _migrate(url, "memories", "0005_audit_request_id")
        (actor,) = [
            name
            for name, columns in _indexes("pg", url).items()
            if columns == "actor"
            and name.startswith("memories_memorydeletion_")
            and not name.endswith("_like")
        ]
        _execute("pg", url, f"ALTER INDEX {actor} RENAME TO audit_actor_by_hand")
        oid = _pg_definitions(url)["audit_actor_by_hand"][0]

        _migrate(url)

        after = _pg_definitions(url)
        assert after["memories_del_actor"][0] == oid
        assert "audit_actor_by_hand" not in after
        assert [name for name, (_o, d) in after.items() if "(actor)" in d and "deletion" in d] == [
            "memories_del_actor"
        ]
