"""The benchmark's peer: Agno's own AgentOS serving the same memory API over the same rows.

FastAPI served by uvicorn (2 workers, its access log on), JWT verification with scopes
(`authorization`) and per-user isolation (`user_isolation`): a regular token deletes only
its subject's memories, as ours does. Memories live in Agno's `PostgresDb` (the synchronous
class Agno's documentation deploys AgentOS with), in the table `ai.agno_memories` of the
benchmark's database. bench/run.py serves it with:

    uvicorn bench.peer:application --factory --workers 2

configured by PEER_DATABASE_URL (SQLAlchemy's `postgresql+psycopg://...`) and
PEER_JWT_KEY (the HS256 key of the tokens).
"""

import os
from typing import Any

SCHEMA = "ai"
TABLE = "agno_memories"
# Agno's scopes: a regular token needs the delete scope of its route, an admin token has all.
DELETE_SCOPE = "memories:delete"
ADMIN_SCOPE = "agent_os:admin"


def database(url: str) -> Any:
    from agno.db.postgres import PostgresDb

    return PostgresDb(db_url=url, db_schema=SCHEMA, memory_table=TABLE)


def create_table(url: str) -> None:
    """The memory table, as Agno itself creates it (for seeding before serving)."""
    database(url)._get_table(table_type="memories", create_table_if_not_found=True)


def application() -> Any:
    from agno.os import AgentOS
    from agno.os.authz import Authorization

    agent_os = AgentOS(
        id="bench-peer",
        db=database(os.environ["PEER_DATABASE_URL"]),
        authorization=Authorization(
            verification_keys=[os.environ["PEER_JWT_KEY"]], algorithm="HS256"
        ),
        user_isolation=True,
        telemetry=False,
        # bench/run.py creates the one table the deletes touch before serving; two workers
        # provisioning Agno's other tables at once would race each other.
        auto_provision_dbs=False,
    )
    return agent_os.get_app()
