"""A failing memory database answers 500 in the documented shape and loses nothing."""

import logging

import pytest

from memories.models import MemoryDeletion
from tests.conftest import database_down, require_db_id
from tests.factories import memory_create, memory_ids_in

# Real transactions: the broken connection is closed and reopened, no test transaction spans it.
pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

INTERNAL_ERROR = {"detail": "Internal server error", "error_code": "INTERNAL_SERVER_ERROR"}


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
        database_down(broken_db_id, **broken_settings),
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

    with database_down("pg", PORT="1"):
        assert client.delete("/memories/m1?db_id=pg").status_code == 500

    assert client.delete("/memories/m1?db_id=pg").status_code == 204
    assert memory_ids_in("pg") == set()


@pytest.mark.parametrize(
    "method, path, body",
    [
        ("get", "/memories", None),
        ("get", "/memories/m1", None),
        ("post", "/memories", {"memory": "Likes tea"}),
        ("patch", "/memories/m1", {"topics": ["drinks"]}),
        ("delete", "/memories/m1", None),
        ("delete", "/memories", {"memory_ids": ["m1"]}),
        ("get", "/memory_topics", None),
        ("get", "/user_memory_stats", None),
        ("get", "/memory_export", None),
    ],
)
def test_a_database_down_answers_its_db_id_with_500_and_the_others_serve(
    as_user, down, method, path, body
):
    memory_create("lite", memory_id="m1", user_id="alice")
    client = as_user("alice")

    response = getattr(client, method)(f"{path}?db_id={down}", body, format="json")
    served = client.get("/memories/m1?db_id=lite")

    assert response.status_code == 500
    assert response.json() == INTERNAL_ERROR
    assert served.status_code == 200
    assert served.json()["memory_id"] == "m1"
    assert memory_ids_in("lite") == {"m1"}
    assert not MemoryDeletion.objects.exists()
