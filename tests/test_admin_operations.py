"""Admin pages over many memories: delete what the filters match, retention, export."""

import json

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.test import override_settings

from memories.models import MemoryDeletion, MemoryExport
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")

CHANGELIST = "/admin/memories/memory/"
DELETE_MATCHING = f"{CHANGELIST}delete_matching/"


@pytest.fixture
def viewer(client):
    user = User.objects.create_user("viewer", password="s3cret-pass", is_staff=True)
    user.user_permissions.add(*Permission.objects.filter(codename="view_memory"))
    client.force_login(user)
    return client


@pytest.fixture
def kitchen():
    memory_create("lite", memory_id="c1", agent_id="chef", topics=["food"])
    memory_create("lite", memory_id="c2", agent_id="chef", topics=["sport"])
    memory_create("lite", memory_id="k1", agent_id="coach", topics=["food"])
    memory_create("default", memory_id="d1", agent_id="chef", topics=["food"])


def test_the_changelist_links_to_a_deletion_of_what_its_filters_show(staff, kitchen):
    page = staff.get(CHANGELIST, {"target": "lite:agno_memories", "agent_id": "chef"})

    assert page.status_code == 200
    assert (
        'href="/admin/memories/memory/delete_matching/?target=lite%3Aagno_memories&amp;agent_id=chef"'
        in page.text
    )


def test_deleting_what_the_filters_match_confirms_then_deletes_there_only(staff, kitchen):
    query = "?target=lite:agno_memories&agent_id=chef&topic=food"

    confirmation = staff.get(DELETE_MATCHING + query)
    assert confirmation.status_code == 200
    assert 'id="deletion-total">1<' in confirmation.text
    assert "This deletion is permanent" in confirmation.text
    assert memory_ids_in("lite") == {"c1", "c2", "k1"}

    done = staff.post(DELETE_MATCHING + query, {"confirmed": "yes"}, follow=True)

    assert [str(m) for m in done.context["messages"]] == ["Deleted 1 memory from lite."]
    assert memory_ids_in("lite") == {"c2", "k1"}
    assert memory_ids_in("default") == {"d1"}
    record = MemoryDeletion.objects.get()
    assert (record.memory_ids, record.channel, record.actor) == (["c1"], "admin", "operator")


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?target=lite:agno_memories", "there is no 'delete everything'"),
        ("?target=lite:agno_memories&agent_id=chef&q=food", "A search is not a deletion filter"),
    ],
)
def test_no_filter_or_a_search_deletes_nothing(staff, kitchen, query, message):
    done = staff.post(DELETE_MATCHING + query, {"confirmed": "yes"}, follow=True)

    (shown,) = done.context["messages"]
    assert shown.level_tag == "error" and message in str(shown)
    assert memory_ids_in("lite") == {"c1", "c2", "k1"}
    assert not MemoryDeletion.objects.exists()


def test_staff_without_delete_permission_cannot_delete_by_filter(viewer, kitchen):
    page = viewer.get(CHANGELIST)
    response = viewer.post(DELETE_MATCHING + "?agent_id=chef", {"confirmed": "yes"})

    assert "delete-matching-link" not in page.text
    assert response.status_code == 403
    assert memory_ids_in("default") == {"d1"}


def test_the_retention_page_lists_each_rule_with_what_a_run_would_delete(viewer, kitchen):
    memory_create("lite", memory_id="ancient", created_at=1, updated_at=1)
    rules = [{"db_id": "lite", "max_age_days": 30}, {"db_id": "default", "max_age_days": 1}]

    with override_settings(MEMORIES={**settings.MEMORIES, "RETENTION": rules}):
        page = viewer.get(f"{CHANGELIST}retention/")

    assert page.status_code == 200
    rows = page.text.split('class="retention-row"')[1:]
    assert (
        "lite/*: updated_at older than 30 days</td><td>lite</td><td>agno_memories</td><td>1<"
        in rows[0]
    )
    assert "<td>missing_memories</td><td>table absent<" in rows[1]
    assert (
        "default/*: updated_at older than 1 days</td><td>default</td><td>agno_memories</td><td>0<"
        in rows[2]
    )
    assert memory_ids_in("lite") == {"c1", "c2", "k1", "ancient"}


def test_exporting_the_selected_users_downloads_their_memories_everywhere(staff):
    memory_create("default", memory_id="a1", user_id="alice")
    memory_create("lite", memory_id="a2", user_id="alice")
    memory_create("lite", memory_id="b1", user_id="bob")
    form = {"action": "export_selected_users", "_selected_action": ["a1"]}

    response = staff.post(CHANGELIST, form)

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="memories.ndjson"'
    lines = [json.loads(line) for line in b"".join(response.streaming_content).splitlines()]
    assert sorted((line["db_id"], line["memory_id"]) for line in lines) == [
        ("default", "a1"),
        ("lite", "a2"),
    ]
    assert {(r.db_id, r.user_id, r.count) for r in MemoryExport.objects.filter(count__gt=0)} == {
        ("default", "alice", 1),
        ("lite", "alice", 1),
    }
    assert all(r.channel == "admin" and r.finished for r in MemoryExport.objects.all())
