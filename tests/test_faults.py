"""A connection killed in the middle of a deletion: 500 in the documented shape, nothing
half-deleted, and the same process serves again without a restart."""

import threading
import time

import psycopg
import pytest
from django.conf import settings
from django.db import connections
from rest_framework.test import APIClient

from memories.models import MemoryDeletion
from tests.conftest import mint, require_db_id
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def pg_dsn() -> str:
    test = connections["pg"].settings_dict
    return f"host={test['HOST']} port={test['PORT']} user={test['USER']} dbname={test['NAME']}"


def wait_for_blocked_backend(admin: psycopg.Connection) -> int:
    """The pid of the backend waiting for the row lock the test holds."""
    for _ in range(200):
        row = admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND datname = %s",
            [connections["pg"].settings_dict["NAME"]],
        ).fetchone()
        if row:
            return int(row[0])
        time.sleep(0.05)
    raise AssertionError("the deletion never waited for the lock")


def call_in_thread(method: str, path: str, body=None) -> dict:
    """Run one API call in its own thread (its own database connection), like a worker."""
    result: dict = {}

    def call():
        client = APIClient()
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint('alice')}")
        try:
            result["response"] = getattr(client, method)(path, body, format="json")
        finally:
            connections.close_all()

    thread = threading.Thread(target=call)
    thread.start()
    result["thread"] = thread
    return result


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("delete", "/memories?db_id=pg", {"memory_ids": ["m1", "m2", "m3"]}),
        ("delete", "/memories/m2?db_id=pg", None),
    ],
    ids=["bulk", "single"],
)
def test_connection_killed_mid_deletion(method, path, body):
    require_db_id("pg")
    assert settings.DATABASES["pg"]["ENGINE"].endswith("postgresql")
    for memory_id in ("m1", "m2", "m3"):
        memory_create("pg", memory_id=memory_id, user_id="alice")

    with psycopg.connect(pg_dsn(), autocommit=True) as admin, psycopg.connect(pg_dsn()) as locker:
        # Hold m2 so the deletion blocks inside its transaction, m1 (bulk) already deleted.
        locker.execute("SELECT 1 FROM agno_memories WHERE memory_id = 'm2' FOR UPDATE")
        call = call_in_thread(method, path, body)
        admin.execute("SELECT pg_terminate_backend(%s)", [wait_for_blocked_backend(admin)])
        call["thread"].join(timeout=30)
        locker.rollback()

    response = call["response"]
    assert response.status_code == 500
    assert response.json() == {
        "detail": "Internal server error",
        "error_code": "INTERNAL_SERVER_ERROR",
    }
    assert memory_ids_in("pg") == {"m1", "m2", "m3"}
    assert not MemoryDeletion.objects.exists()

    again = call_in_thread(method, path, body)
    again["thread"].join(timeout=30)
    assert again["response"].status_code == 204
    assert memory_ids_in("pg") == ({"m1", "m3"} if path.startswith("/memories/m2") else set())
