"""The admin with a memory database down (a closed port, a missing database) or a table absent:
messages instead of "Server Error (500)", and the other databases keep working."""

import json

import pytest
from django.contrib.messages import get_messages
from django.test import override_settings

from memories.models import MemoryDeletion, MemoryExport
from memories.targets import configured_tables
from tests.conftest import memories_with
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CHANGELIST = "/admin/memories/memory/"
ACTION = "_selected_action"


def messages_of(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def cannot_be_reached(db_id: str) -> str:
    return f"Database {db_id} cannot be reached ("


@pytest.fixture
def alice():
    memory_create("lite", memory_id="a1", user_id="alice", memory="alice in lite")
    memory_create("default", memory_id="a2", user_id="alice", memory="alice in default")


def test_the_list_of_a_database_that_is_down_says_so(staff, alice, down):
    page = staff.get(CHANGELIST, {"target": f"{down}:agno_memories"})
    lite = staff.get(CHANGELIST, {"target": "lite:agno_memories"})

    assert page.status_code == 200
    (message,) = messages_of(page)
    assert message.startswith(cannot_be_reached(down))
    assert "The other databases are in the filter." in message
    assert "0 memories" in page.text
    assert 'href="?target=lite%3Aagno_memories"' in page.text  # one click to the others
    assert lite.status_code == 200
    assert "alice in lite" in lite.text
    assert messages_of(lite) == []


def test_an_absent_table_is_named(staff):
    page = staff.get(CHANGELIST, {"target": "lite:missing_memories"})

    assert page.status_code == 200
    assert messages_of(page) == ["Table missing_memories does not exist in database lite."]


@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_a_memory_page_of_a_database_that_is_down_goes_back_with_a_message(staff, down, page):
    filters = f"_changelist_filters=target%3D{down}%3Aagno_memories"

    response = staff.get(f"{CHANGELIST}m1/{page}/?{filters}")

    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?target={down}%3Aagno_memories"
    (message,) = messages_of(response)
    assert message.startswith(cannot_be_reached(down))


def test_an_action_on_a_database_that_is_down_goes_back_with_a_message(staff, down):
    response = staff.post(
        f"{CHANGELIST}?target={down}:agno_memories",
        {"action": "delete_selected_memories", ACTION: ["m1"], "confirmed": "yes"},
    )

    assert response.status_code == 302
    (message,) = messages_of(response)
    assert message.startswith(cannot_be_reached(down))
    assert not MemoryDeletion.objects.exists()


def test_an_erasure_erases_what_it_can_and_names_the_database_it_could_not(staff, alice, down):
    chosen = {"action": "erase_selected_users", ACTION: ["a1"]}
    plan = staff.post(f"{CHANGELIST}?target=lite:agno_memories", chosen)
    done = staff.post(f"{CHANGELIST}?target=lite:agno_memories", {**chosen, "confirmed": "yes"})

    assert plan.status_code == 200
    assert f"<td>{down}</td><td>agno_memories</td><td>database unreachable</td>" in plan.text
    assert "<td>lite</td><td>agno_memories</td><td>1</td>" in plan.text
    assert done.status_code == 302
    (message,) = messages_of(done)
    assert message.startswith("The erasure of alice did not finish: Unfinished after deleting")
    assert f"{down}/agno_memories: database failed" in message
    assert memory_ids_in("lite") == set()
    assert memory_ids_in("default") == set()
    assert {record.db_id for record in MemoryDeletion.objects.all()} <= {"default", "lite"}
    assert sum(record.count for record in MemoryDeletion.objects.all()) == 2


def test_a_deletion_by_filter_on_a_database_that_is_down_is_refused(staff, down):
    response = staff.get(
        f"{CHANGELIST}delete_matching/", {"target": f"{down}:agno_memories", "agent_id": "chef"}
    )

    assert response.status_code == 302
    assert messages_of(response) == [
        f"Database {down} cannot be reached: nothing can be deleted from it now."
    ]


def test_an_export_serves_the_other_databases_and_ends_naming_the_one_down(staff, alice, down):
    response = staff.post(
        f"{CHANGELIST}?target=lite:agno_memories",
        {"action": "export_selected_users", ACTION: ["a1"]},
    )

    assert response.status_code == 200
    *memories, last = [
        json.loads(line) for line in b"".join(response.streaming_content).splitlines()
    ]
    assert sorted((line["db_id"], line["memory_id"]) for line in memories) == [
        ("default", "a2"),
        ("lite", "a1"),
    ]
    assert last["error_code"] == "DATABASE_UNAVAILABLE"
    assert last["unreachable"] == [
        {"db_id": down, "table": table} for table in configured_tables(down)
    ]
    assert "127.0.0.1" not in last["detail"]
    # The database down has its export recorded unfinished, the others complete.
    records = MemoryExport.objects.values_list("db_id", "count", "finished")
    assert {r for r in records if r[0] == down} == {(down, 0, False)}
    assert {r for r in records if r[0] != down} >= {("default", 1, True), ("lite", 1, True)}


def test_the_retention_page_shows_a_database_that_is_down(staff, down):
    rules = [{"db_id": down, "max_age_days": 30}, {"db_id": "default", "max_age_days": 30}]
    databases = {"default": "default", down: down}
    with override_settings(MEMORIES=memories_with(DATABASES=databases, RETENTION=rules)):
        page = staff.get(f"{CHANGELIST}retention/")

    assert page.status_code == 200
    assert f"<td>{down}</td><td>agno_memories</td><td>database unreachable</td>" in page.text
    assert "<td>default</td><td>agno_memories</td><td>0</td>" in page.text
