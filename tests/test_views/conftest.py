"""What the tests of the memory API's views share.

Every delete test starts with m1 (alice) and m2 (bob) in every memory table of every
database (the `seeded` fixture), and checks the rows left in all of them: a delete removes one
row in one place, a refusal none.
"""

import pytest

from tests.factories import memory_create, memory_ids_in, present_targets

SEEDED = {"m1", "m2"}


def tables() -> list[tuple[str, str]]:
    """(db_id, table) of every configured memory table that exists in its database."""
    return [(t.db_id, t.table) for t in present_targets()]


def rows() -> dict[tuple[str, str], set[str]]:
    """The memory ids left in each table of each database."""
    return {(db_id, table): memory_ids_in(db_id, table) for db_id, table in tables()}


def untouched() -> dict[tuple[str, str], set[str]]:
    return {place: set(SEEDED) for place in tables()}


def deleted_from(db_id: str, memory_id: str, table: str = "agno_memories"):
    """The rows expected when memory_id, and nothing else, left db_id's table."""
    expected = untouched()
    expected[(db_id, table)] = SEEDED - {memory_id}
    return expected


def query(name: str, value: str) -> str:
    """A query string naming db_id=default, plus name=value (value already encoded)."""
    return f"db_id={value}" if name == "db_id" else f"db_id=default&{name}={value}"


def assert_error(response, status: int, detail: str, error_code: str) -> None:
    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": detail, "error_code": error_code}


@pytest.fixture
def seeded():
    for db_id, table in tables():
        memory_create(db_id, table, memory_id="m1", user_id="alice")
        memory_create(db_id, table, memory_id="m2", user_id="bob")


NOT_FOUND = {"detail": "Memory not found", "error_code": "NOT_FOUND"}


def ids(response) -> list[str]:
    return [memory["memory_id"] for memory in response.json()["data"]]


def ids_of(page: dict) -> list[str]:
    return [memory["memory_id"] for memory in page["data"]]
