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

THREADS = 16


@pytest.mark.parametrize("level", ISOLATION_LEVELS)
@pytest.mark.parametrize("server_db_id", ["pg", "maria"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_sixteen_threads_delete_one_memory_exactly_once(server_db_id, level):
    require_db_id(server_db_id)
    memory_create(server_db_id, memory_id="contested", user_id="alice")
    memory_create(server_db_id, memory_id="bystander", user_id="alice")
    token = mint("alice")
    barrier = threading.Barrier(THREADS)

    def delete_once() -> int:
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
        try:
            barrier.wait(timeout=30)
            return client.delete(f"/memories/contested?db_id={server_db_id}").status_code
        finally:
            connections.close_all()

    with isolation_level(server_db_id, level), ThreadPoolExecutor(max_workers=THREADS) as pool:
        statuses = sorted(pool.map(lambda _: delete_once(), range(THREADS)))

    assert statuses == [204] + [404] * (THREADS - 1)
    assert memory_ids_in(server_db_id) == {"bystander"}
    assert MemoryDeletion.objects.filter(db_id=server_db_id).count() == 1
