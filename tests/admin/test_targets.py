"""Which database and table an admin page works on (memories/admin/targets.py): the
`target` query parameter, kept by detail pages, and the message when its table is absent."""

import pytest

from tests.admin.conftest import CHANGELIST, messages_of
from tests.conftest import require_db_id
from tests.factories import memory_create

pytestmark = pytest.mark.django_db(databases="__all__")


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


def test_schema_qualified_table(staff):
    require_db_id("pg")
    memory_create("pg", "ai.agno_memories", memory_id="ai-1", user_id="alice", memory="in ai")

    response = staff.get(CHANGELIST, {"target": "pg:ai.agno_memories"})

    assert response.status_code == 200
    assert "in ai" in response.text


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_absent_table_is_named(staff):
    page = staff.get(CHANGELIST, {"target": "lite:missing_memories"})

    assert page.status_code == 200
    assert messages_of(page) == ["Table missing_memories does not exist in database lite."]
