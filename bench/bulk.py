"""Deleting one user's memories in batches of 1000 ids: through the bulk API, one request
after the other from one client, and with plain statements (that API's floor). Shared by
bench/run.py and bench/paths.py."""

from typing import Any

import requests

BATCH = 1000


def agno_shaped_id(number: int) -> str:
    """A distinct id of Agno's shape (a uuid4 string, 36 characters), as clients send them."""
    return f"{number:08x}-0000-4000-8000-000000000000"


def id_batches(ids: list[str], size: int = BATCH) -> list[list[str]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


def bulk_api_deletes(base: str, batches: list[list[str]], headers: dict[str, str]) -> None:
    """Each batch as one `DELETE /memories`, one after the other on one connection."""
    with requests.Session() as http:
        for batch in batches:
            body = {"memory_ids": batch}
            response = http.delete(f"{base}/memories", json=body, headers=headers, timeout=60)
            assert response.status_code == 204, response.text


def raw_id_deletes(backend: str, connection: Any, batches: list[list[str]]) -> None:
    """Each batch as one plain DELETE by id, with no owner test, audit, HTTP or Python in
    between (autocommit: each its own transaction, as each request is)."""
    for batch in batches:
        if backend == "postgres":
            connection.execute("DELETE FROM agno_memories WHERE memory_id = ANY(%s)", [batch])
        else:
            marks = ", ".join("?" * len(batch))
            connection.execute(f"DELETE FROM agno_memories WHERE memory_id IN ({marks})", batch)
