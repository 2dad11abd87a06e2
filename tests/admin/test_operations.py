"""Admin pages over many memories (memories/admin/operations.py): delete what the filters
match, retention, export; and the same pages with a database down."""

import json
from urllib.parse import urlencode

import pytest
from django.conf import settings
from django.contrib.auth.models import Permission, User
from django.test import override_settings

from memories.models import MemoryDeletion, MemoryExport
from memories.targets import configured_tables
from tests.admin.conftest import CHANGELIST, messages_of
from tests.conftest import memories_with
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")

DELETE_MATCHING = f"{CHANGELIST}delete_matching/"
ACTION = "_selected_action"


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


class DeletingWhatTheListShowsTests:
    """The deletion by the changelist's query string takes exactly the rows the list shows
    for it (every lookup the list honours), or refuses the query and deletes nothing; on
    every engine."""

    @pytest.fixture
    def crew(self, db_id):
        """alice's two memories of agent A beside bob's of agent A and alice's of agent B."""
        memory_create(db_id, memory_id="a1", user_id="alice", agent_id="A", updated_at=100)
        memory_create(db_id, memory_id="a2", user_id="alice", agent_id="A", updated_at=300)
        memory_create(db_id, memory_id="b1", user_id="bob", agent_id="A", updated_at=100)
        memory_create(db_id, memory_id="a3", user_id="alice", agent_id="B", updated_at=100)
        return db_id

    def listed(self, staff, db_id, query):
        page = staff.get(CHANGELIST, {"target": f"{db_id}:agno_memories", **query})
        assert page.status_code == 200
        return {row.memory_id for row in page.context["cl"].result_list}

    @pytest.mark.parametrize(
        ("query", "shown"),
        [
            ({"agent_id": "A", "user_id": "alice"}, {"a1", "a2"}),
            ({"memory_id__in": "a1,b1"}, {"a1", "b1"}),
            ({"updated_at__lt": "200", "agent_id": "A"}, {"a1", "b1"}),
            ({"user_id": "alice", "updated_at__gte": "200"}, {"a2"}),
            ({"topic": "preferences", "user_id": "bob", "o": "1", "p": "1"}, {"b1"}),
        ],
        ids=["agent-and-user", "ids", "older-than-and-agent", "user-and-newer", "topic-and-user"],
    )
    def test_deletes_exactly_the_rows_the_list_shows(self, staff, crew, query, shown):
        db_id = crew
        assert self.listed(staff, db_id, query) == shown
        url = DELETE_MATCHING + "?" + urlencode({"target": f"{db_id}:agno_memories", **query})

        confirmation = staff.get(url)
        assert confirmation.status_code == 200
        assert f'id="deletion-total">{len(shown)}<' in confirmation.text
        assert memory_ids_in(db_id) == {"a1", "a2", "a3", "b1"}

        done = staff.post(url, {"confirmed": "yes"}, follow=True)

        word = "memory" if len(shown) == 1 else "memories"
        message = f"Deleted {len(shown)} {word} from {db_id}."
        assert [str(m) for m in done.context["messages"]] == [message]
        assert memory_ids_in(db_id) == {"a1", "a2", "a3", "b1"} - shown
        (record,) = MemoryDeletion.objects.all()
        assert sorted(record.memory_ids) == sorted(shown)
        assert (record.db_id, record.count) == (db_id, len(shown))

    @pytest.mark.parametrize(
        ("query", "message"),
        [
            ({"agent_id": "A", "no_such_column": "x"}, "The list cannot show this query"),
            ({"agent_id": "A", "updated_at__lt": "yesterday"}, "The list cannot show this query"),
            ({"agent_id": "A\x00"}, "The list cannot show this query"),
            ({"agent_id": "A", "q": "likes"}, "A search is not a deletion filter"),
            ({"o": "2", "p": "1"}, "there is no 'delete everything'"),
            ({"created_at__gte": "0"}, "there is no 'delete everything'"),
            ({"memory_id__gt": ""}, "there is no 'delete everything'"),
        ],
        ids=["unknown-column", "bad-value", "nul", "search", "no-lookup", "every-row", "every-id"],
    )
    def test_refuses_a_query_the_list_cannot_honour(self, staff, crew, query, message):
        db_id = crew
        url = DELETE_MATCHING + "?" + urlencode({"target": f"{db_id}:agno_memories", **query})

        for response in (
            staff.get(url, follow=True),
            staff.post(url, {"confirmed": "yes"}, follow=True),
        ):
            (shown,) = response.context["messages"]
            assert shown.level_tag == "error" and message in str(shown)

        assert memory_ids_in(db_id) == {"a1", "a2", "a3", "b1"}
        assert not MemoryDeletion.objects.exists()


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_deletion_by_filter_on_a_database_that_is_down_is_refused(staff, down):
    response = staff.get(
        f"{CHANGELIST}delete_matching/", {"target": f"{down}:agno_memories", "agent_id": "chef"}
    )

    assert response.status_code == 302
    assert messages_of(response) == [
        f"Database {down} cannot be reached: nothing can be deleted from it now."
    ]


@pytest.mark.django_db(transaction=True, databases="__all__")
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


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_retention_page_shows_a_database_that_is_down(staff, down):
    rules = [{"db_id": down, "max_age_days": 30}, {"db_id": "default", "max_age_days": 30}]
    databases = {"default": "default", down: down}
    with override_settings(MEMORIES=memories_with(DATABASES=databases, RETENTION=rules)):
        page = staff.get(f"{CHANGELIST}retention/")

    assert page.status_code == 200
    assert f"<td>{down}</td><td>agno_memories</td><td>database unreachable</td>" in page.text
    assert "<td>default</td><td>agno_memories</td><td>0</td>" in page.text
