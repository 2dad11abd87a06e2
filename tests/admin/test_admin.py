"""The memory admin (memories/admin/__init__.py) on every db_id and table, through the
deletion service: pages, actions and permissions, and what it shows when a database is down."""

import re

import pytest
from django.contrib.auth.models import Permission, User

from memories.models import MemoryDeletion
from memories.services import DELETION_MAX_ROUNDS
from tests.admin.conftest import CHANGELIST, cannot_be_reached, messages_of
from tests.conftest import connection_ended
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")

ACTION = "_selected_action"


@pytest.fixture
def viewer(client):
    user = User.objects.create_user("viewer", password="s3cret-pass", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_memory", "change_memory"])
    )
    client.force_login(user)
    return client


def test_single_delete_confirms_then_deletes_through_the_service(staff, twins):
    url = f"{CHANGELIST}twin/delete/?_changelist_filters=target%3Dlite%3Aagno_memories"

    confirmation = staff.get(url)
    assert confirmation.status_code == 200
    assert "This deletion is permanent and cannot be undone." in confirmation.text
    assert re.search(r'id="deletion-db-id">lite<', confirmation.text)
    assert memory_ids_in("lite") == {"twin"}

    response = staff.post(url, {"confirmed": "yes"})

    assert response.status_code == 302
    assert memory_ids_in("lite") == set()
    assert memory_ids_in("default") == {"twin"}
    record = MemoryDeletion.objects.get()
    assert (record.actor, record.channel, record.db_id) == ("operator", "admin", "lite")


def test_bulk_action_confirms_then_deletes(staff, twins):
    memory_create("lite", memory_id="other", user_id="bob")
    form = {
        "action": "delete_selected_memories",
        "_selected_action": ["twin", "other"],
    }
    url = f"{CHANGELIST}?target=lite:agno_memories"

    confirmation = staff.post(url, form)
    assert confirmation.status_code == 200
    assert "This deletion is permanent" in confirmation.text
    assert memory_ids_in("lite") == {"twin", "other"}

    done = staff.post(url, {**form, "confirmed": "yes"})

    assert done.status_code == 302
    assert memory_ids_in("lite") == set()
    assert memory_ids_in("default") == {"twin"}
    record = MemoryDeletion.objects.get()
    assert (sorted(record.memory_ids), record.channel, record.count) == (
        ["other", "twin"],
        "admin",
        2,
    )


def test_django_delete_selected_is_replaced(staff, twins):
    response = staff.get(CHANGELIST)
    assert 'value="delete_selected"' not in response.text
    assert 'value="delete_selected_memories"' in response.text


def test_erase_user_shows_counts_everywhere_then_erases(staff, twins):
    memory_create("lite", memory_id="a2", user_id="alice")
    memory_create("default", memory_id="b1", user_id="bob")
    form = {"action": "erase_selected_users", "_selected_action": ["twin"]}

    plan = staff.post(CHANGELIST, form)
    assert plan.status_code == 200
    assert re.search(r"<td>lite</td><td>agno_memories</td><td>2</td>", plan.text)
    assert re.search(r"<td>default</td><td>agno_memories</td><td>1</td>", plan.text)
    assert re.search(r"<td>lite</td><td>missing_memories</td><td>table absent</td>", plan.text)

    done = staff.post(CHANGELIST, {**form, "confirmed": "yes"})

    assert done.status_code == 302
    assert memory_ids_in("default") == {"b1"}
    assert memory_ids_in("lite") == set()
    assert all(
        r.channel == "admin" and r.user_ids == ["alice"] for r in MemoryDeletion.objects.all()
    )


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_erase_user_that_cannot_finish_shows_an_error_not_a_success(staff, refilled):
    memory_create("lite", memory_id="a0", user_id="alice")
    form = {"action": "erase_selected_users", "_selected_action": ["a0"], "confirmed": "yes"}

    done = staff.post(f"{CHANGELIST}?target=lite:agno_memories", form, follow=True)

    (message,) = done.context["messages"]
    assert message.level_tag == "error"
    assert "The erasure of alice did not finish" in message.message
    assert "lite/agno_memories: 2 left" in message.message
    assert len(memory_ids_in("lite")) == 2
    assert sum(r.count for r in MemoryDeletion.objects.all()) == 1 + 2 * (DELETION_MAX_ROUNDS - 1)


def test_search_by_text_and_user(staff):
    memory_create(memory_id="m1", user_id="alice", memory="Likes GREEN tea")
    memory_create(memory_id="m2", user_id="bob", memory="Coffee")

    by_text = staff.get(CHANGELIST, {"q": "green"})
    by_user = staff.get(CHANGELIST, {"q": "bob"})

    assert "m1" in by_text.text and "Coffee" not in by_text.text
    assert "Coffee" in by_user.text and "GREEN" not in by_user.text


def test_staff_without_delete_permission_sees_no_delete_and_gets_403(viewer, twins):
    changelist = viewer.get(CHANGELIST)
    detail = viewer.get(f"{CHANGELIST}twin/change/")
    delete = viewer.post(f"{CHANGELIST}twin/delete/", {"confirmed": "yes"})
    action = viewer.post(
        CHANGELIST, {"action": "delete_selected_memories", "_selected_action": ["twin"]}
    )

    assert changelist.status_code == 200
    assert "delete_selected_memories" not in changelist.text
    assert "erase_selected_users" not in changelist.text
    assert "/twin/delete/" not in detail.text
    assert delete.status_code == 403
    assert action.status_code in {200, 302}
    assert memory_ids_in("default") == {"twin"}
    assert not MemoryDeletion.objects.exists()


@pytest.mark.django_db(transaction=True, databases="__all__")
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


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_list_of_a_database_whose_connection_the_server_ended_says_so(staff):
    # Its next statements fail as well: on psycopg2 with InterfaceError (tests/conftest.py).
    with connection_ended("pg"):
        page = staff.get(CHANGELIST, {"target": "pg:agno_memories"})

    assert page.status_code == 200
    (message,) = messages_of(page)
    assert message.startswith(cannot_be_reached("pg"))


@pytest.mark.django_db(transaction=True, databases="__all__")
@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_a_memory_page_whose_connection_the_server_ended_goes_back_with_a_message(staff, page):
    filters = "_changelist_filters=target%3Dpg%3Aagno_memories"

    with connection_ended("pg"):
        response = staff.get(f"{CHANGELIST}m1/{page}/?{filters}")

    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?target=pg%3Aagno_memories"
    (message,) = messages_of(response)
    assert message.startswith(cannot_be_reached("pg"))


@pytest.mark.django_db(transaction=True, databases="__all__")
@pytest.mark.parametrize("page", ["change", "delete", "history"])
def test_a_memory_page_of_a_database_that_is_down_goes_back_with_a_message(staff, down, page):
    filters = f"_changelist_filters=target%3D{down}%3Aagno_memories"

    response = staff.get(f"{CHANGELIST}m1/{page}/?{filters}")

    assert response.status_code == 302
    assert response["Location"] == f"{CHANGELIST}?target={down}%3Aagno_memories"
    (message,) = messages_of(response)
    assert message.startswith(cannot_be_reached(down))


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_action_on_a_database_that_is_down_goes_back_with_a_message(staff, down):
    response = staff.post(
        f"{CHANGELIST}?target={down}:agno_memories",
        {"action": "delete_selected_memories", ACTION: ["m1"], "confirmed": "yes"},
    )

    assert response.status_code == 302
    (message,) = messages_of(response)
    assert message.startswith(cannot_be_reached(down))
    assert not MemoryDeletion.objects.exists()


@pytest.mark.django_db(transaction=True, databases="__all__")
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
