"""Concurrent deletes of one memory: one DELETE statement decides, so exactly one wins, at
whatever isolation level the host opens its connections."""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connections
from rest_framework.test import APIClient

from memories.models import MemoryDeletion
from tests.conftest import ISOLATION_LEVELS, isolation_level, mint, require_db_id
from tests.factories import memory_create, memory_ids_in
from tests.test_statement_limits import limited

THREADS = 16


def sixteen_deletes(db_id: str) -> list[int]:
    """Sixteen clients (threads, each its own connection) delete one memory at once; their
    statuses, sorted."""
    token = mint("alice")
    barrier = threading.Barrier(THREADS)

    def delete_once() -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=30)
            return client.delete(f"/memories/contested?db_id={db_id}").status_code
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=THREADS) as pool:
        return sorted(pool.map(lambda _: delete_once(), range(THREADS)))


def assert_deleted_exactly_once(db_id: str, statuses: list[int]) -> None:
    assert statuses == [204] + [404] * (THREADS - 1)
    assert memory_ids_in(db_id) == {"bystander"}
    assert MemoryDeletion.objects.filter(db_id=db_id).count() == 1


@pytest.mark.parametrize("level", ISOLATION_LEVELS)
@pytest.mark.parametrize("server_db_id", ["pg", "maria"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_sixteen_threads_delete_one_memory_exactly_once(server_db_id, level):
    require_db_id(server_db_id)
    memory_create(server_db_id, memory_id="contested", user_id="alice")
    memory_create(server_db_id, memory_id="bystander", user_id="alice")

    with isolation_level(server_db_id, level):
        statuses = sixteen_deletes(server_db_id)

    assert_deleted_exactly_once(server_db_id, statuses)


@pytest.mark.parametrize("db_id", ["pg", "default"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_with_server_side_binding_under_the_limit_too(db_id):
    # psycopg's server-side binding takes one statement per query: the statement limit sets
    # itself first, in a transaction of its own around the statement, the single one that
    # deletes and records too (where the records share the memories' database: default, in
    # the second run); that transaction is at READ COMMITTED as well.
    require_db_id(db_id)
    if connections[db_id].vendor != "postgresql":
        pytest.skip(f"{db_id} is PostgreSQL in the second run only")
    memory_create(db_id, memory_id="contested", user_id="alice")
    memory_create(db_id, memory_id="bystander", user_id="alice")
    options = connections[db_id].settings_dict["OPTIONS"]
    options["server_side_binding"] = True
    try:
        with limited, isolation_level(db_id, "serializable"):
            statuses = sixteen_deletes(db_id)
    finally:
        options.pop("server_side_binding")
        connections[db_id].close()

    assert_deleted_exactly_once(db_id, statuses)
