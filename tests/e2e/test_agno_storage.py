"""Memories round-trip between Agno's own storage classes and this API, both directions."""

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import requests
from agno.db.postgres import PostgresDb
from agno.db.schemas.memory import UserMemory
from agno.db.sqlite import SqliteDb

from tests.conftest import require_db_id
from tests.databases import PG_SERVER, scratch_postgres_database
from tests.servers import project_server


@dataclass
class AgnoStorage:
    db: Any  # agno's SqliteDb or PostgresDb
    variables: dict[str, str]  # how the project reaches the same table
    query: str  # the db_id and table query string naming it


@pytest.fixture
def sqlite_storage(tmp_path) -> Iterator[AgnoStorage]:
    path = tmp_path / "agno.db"
    db = SqliteDb(db_file=str(path))
    try:
        yield AgnoStorage(
            db=db,
            variables={"AGENTOS_MEMORY_DATABASES": f"agno=sqlite:///{path}"},
            query="db_id=agno",
        )
    finally:
        # Its pooled connections are closed, not left to the garbage collector.
        db.db_engine.dispose()


@pytest.fixture
def postgres_storage() -> Iterator[AgnoStorage]:
    require_db_id("pg")
    with scratch_postgres_database("agentos_agno_interop") as name:
        db = PostgresDb(
            db_url=PG_SERVER.replace("postgres://", "postgresql+psycopg://", 1) + f"/{name}",
            db_schema="ai",
        )
        try:
            yield AgnoStorage(
                db=db,
                variables={
                    "AGENTOS_MEMORY_DATABASES": f"agno={PG_SERVER}/{name}",
                    "AGENTOS_MEMORY_TABLES": "agno=ai.agno_memories",
                },
                query="db_id=agno&table=ai.agno_memories",
            )
        finally:
            db.db_engine.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def storage(request) -> AgnoStorage:
    fixture: AgnoStorage = request.getfixturevalue(f"{request.param}_storage")
    return fixture


def agno_memories(storage: AgnoStorage, user_id: str) -> dict[str, UserMemory]:
    return {m.memory_id: m for m in storage.db.get_user_memories(user_id=user_id)}


def test_memories_round_trip_between_agno_and_the_api(storage, tmp_path: Path):
    storage.db.upsert_user_memory(
        UserMemory(memory="Likes tea", memory_id="agno-1", user_id="alice", topics=["drinks"])
    )
    storage.db.upsert_user_memory(
        UserMemory(memory="Plays chess", memory_id="agno-2", user_id="bob")
    )

    with project_server(tmp_path, **storage.variables) as server:
        alice = server.bearer("alice")
        base, query = server.base, storage.query

        # What Agno wrote, the API lists and reads.
        listed = requests.get(f"{base}/memories?{query}", headers=alice, timeout=10).json()
        assert [(m["memory_id"], m["memory"], m["topics"]) for m in listed["data"]] == [
            ("agno-1", "Likes tea", ["drinks"])
        ]

        # What the API writes, Agno reads back.
        created = requests.post(
            f"{base}/memories?{query}",
            json={"memory": "Prefers green tea", "topics": ["drinks", "tea"]},
            headers=alice,
            timeout=10,
        ).json()
        patched = requests.patch(
            f"{base}/memories/agno-1?{query}",
            json={"memory": "Likes black tea"},
            headers=alice,
            timeout=10,
        )
        assert patched.status_code == 200
        seen_by_agno = agno_memories(storage, "alice")
        assert seen_by_agno[created["memory_id"]].memory == "Prefers green tea"
        assert seen_by_agno[created["memory_id"]].topics == ["drinks", "tea"]
        assert seen_by_agno["agno-1"].memory == "Likes black tea"
        assert seen_by_agno["agno-1"].topics == ["drinks"]

        # Deletions through the API are gone for Agno too, and only the owner's.
        for memory_id in ("agno-1", "agno-2"):
            requests.delete(f"{base}/memories/{memory_id}?{query}", headers=alice, timeout=10)
        assert set(agno_memories(storage, "alice")) == {created["memory_id"]}
        assert set(agno_memories(storage, "bob")) == {"agno-2"}
