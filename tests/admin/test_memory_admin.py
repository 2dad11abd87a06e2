"""The memory admin on every db_id and table, through the deletion service."""

import re

import pytest
from django.contrib.auth.models import Permission, User

from memories.models import MemoryDeletion
from memories.services import DELETION_MAX_ROUNDS
from tests.conftest import require_db_id
from tests.factories import memory_create, memory_ids_in, model_of

pytestmark = pytest.mark.django_db(databases="__all__")

CHANGELIST = "/admin/memories/memory/"


@pytest.fixture
def viewer(client):
    user = User.objects.create_user("viewer", password="s3cret-pass", is_staff=True)
    user.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_memory", "change_memory"])
    )
    client.force_login(user)
    return client


@pytest.fixture
def twins():
    """The same memory_id in two databases."""
    memory_create("default", memory_id="twin", user_id="alice", memory="default copy")
    memory_create("lite", memory_id="twin", user_id="alice", memory="lite copy")


def test_changelist_shows_the_selected_database_only(staff, twins):
    memory_create("lite", memory_id="only-lite", user_id="bob", memory="bob's")

    default = staff.get(CHANGELIST)
    lite = staff.get(CHANGELIST, {"target": "lite:agno_memories"})

    assert default.status_code == 200 and lite.status_code == 200
    assert "default copy" in default.text and "lite copy" not in default.text
    assert "lite copy" in lite.text and "only-lite" in lite.text
    assert "default copy" not in lite.text
    assert 'id="current-target">lite / agno_memories' in lite.text


def test_detail_page_reads_the_selected_database(staff, twins):
    response = staff.get(
        f"{CHANGELIST}twin/change/", {"_changelist_filters": "target=lite:agno_memories"}
    )

    assert response.status_code == 200
    assert "lite copy" in response.text
    assert "default copy" not in response.text


def test_editing_changes_the_selected_database_only(staff, twins):
    response = staff.post(
        f"{CHANGELIST}twin/change/?_changelist_filters=target%3Dlite%3Aagno_memories",
        {"memory": "edited", "topics": "a, b, a"},
    )

    assert response.status_code == 302
    edited = model_of("lite")._default_manager.using("lite").get(memory_id="twin")
    untouched = model_of("default")._default_manager.get(memory_id="twin")
    assert (edited.memory, edited.topics) == ("edited", ["a", "b"])
    assert untouched.memory == "default copy"


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


def test_filters_by_agent_team_and_topic(staff):
    memory_create(memory_id="m1", agent_id="chef", team_id="kitchen", topics=["food"])
    memory_create(memory_id="m2", agent_id="coach", team_id="gym", topics=["sport"])

    for params in ({"agent_id": "chef"}, {"team_id": "kitchen"}, {"topic": "food"}):
        response = staff.get(CHANGELIST, params)
        assert response.status_code == 200
        assert "/m1/change/" in response.text and "/m2/change/" not in response.text


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


def test_audit_admin_is_read_only_and_searchable(staff, twins):
    staff.post(f"{CHANGELIST}twin/delete/", {"confirmed": "yes"})
    record = MemoryDeletion.objects.get()

    listing = staff.get("/admin/memories/memorydeletion/", {"q": "twin"})
    filtered = staff.get("/admin/memories/memorydeletion/", {"channel__exact": "admin"})
    add = staff.get("/admin/memories/memorydeletion/add/")
    delete = staff.post(f"/admin/memories/memorydeletion/{record.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200 and "twin" in listing.text
    assert filtered.status_code == 200 and "operator" in filtered.text
    assert add.status_code == 403
    assert delete.status_code == 403
    assert MemoryDeletion.objects.count() == 1


def test_schema_qualified_table(staff):
    require_db_id("pg")
    memory_create("pg", "ai.agno_memories", memory_id="ai-1", user_id="alice", memory="in ai")

    response = staff.get(CHANGELIST, {"target": "pg:ai.agno_memories"})

    assert response.status_code == 200
    assert "in ai" in response.text


def test_agent_filter_offers_agents_that_differ_only_in_case(staff, db_id):
    memory_create(db_id, memory_id="m1", agent_id="chef")
    memory_create(db_id, memory_id="m2", agent_id="Chef")

    page = staff.get(CHANGELIST, {"target": f"{db_id}:agno_memories"})

    assert "?agent_id=chef" in page.text.replace("&amp;", "?").replace("%3A", ":")
    assert "?agent_id=Chef" in page.text.replace("&amp;", "?").replace("%3A", ":")
