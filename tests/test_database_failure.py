"""A failing memory database answers 500 in the documented shape and loses nothing."""

import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.db import connections

from memories.models import MemoryDeletion
from tests.conftest import require_db_id
from tests.factories import memory_create, memory_ids_in

# Real transactions: the broken connection is closed and reopened, no test transaction spans it.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

INTERNAL_ERROR = {"detail": "Internal server error", "error_code": "INTERNAL_SERVER_ERROR"}


@contextmanager
def unreachable(alias: str, **broken_settings: str) -> Iterator[None]:
    """Point an alias at a server that is not there, for real, then restore it."""
    connection = connections[alias]
    saved = {key: connection.settings_dict[key] for key in broken_settings}
    connection.close()
    connection.settings_dict.update(broken_settings)
    try:
        yield
    finally:
        connection.close()
        connection.settings_dict.update(saved)


@pytest.mark.parametrize(
    "broken_db_id, broken_settings",
    [
        ("pg", {"PORT": "1"}),  # nothing listens on port 1: connection refused
        ("maria", {"PORT": "1"}),
    ],
)
def test_unreachable_server_is_500_and_logged(as_user, caplog, broken_db_id, broken_settings):
    require_db_id(broken_db_id)
    memory_create(broken_db_id, memory_id="m1", user_id="alice")
    client = as_user("alice")

    with (
        caplog.at_level(logging.ERROR, logger="memories"),
        unreachable(broken_db_id, **broken_settings),
    ):
        response = client.delete(f"/memories/m1?db_id={broken_db_id}")

    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR
    assert b"Traceback" not in response.content
    assert any(record.levelno == logging.ERROR and record.exc_info for record in caplog.records)
    assert memory_ids_in(broken_db_id) == {"m1"}
    assert not MemoryDeletion.objects.exists()


def test_the_same_process_serves_again_once_the_database_is_back(as_user):
    require_db_id("pg")
    memory_create("pg", memory_id="m1", user_id="alice")
    client = as_user("alice")

    with unreachable("pg", PORT="1"):
        assert client.delete("/memories/m1?db_id=pg").status_code == 500

    assert client.delete("/memories/m1?db_id=pg").status_code == 204
    assert memory_ids_in("pg") == set()
