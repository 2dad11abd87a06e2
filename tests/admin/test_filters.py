"""The changelist's filters (memories/admin/filters.py): agent, team and topic within the
current database and table."""

from urllib.parse import quote

import pytest

from memories.targets import all_targets
from tests.admin.conftest import CHANGELIST
from tests.factories import memory_create

pytestmark = pytest.mark.django_db(databases="__all__")


def test_filters_by_agent_team_and_topic(staff):
    memory_create(memory_id="m1", agent_id="chef", team_id="kitchen", topics=["food"])
    memory_create(memory_id="m2", agent_id="coach", team_id="gym", topics=["sport"])

    for params in ({"agent_id": "chef"}, {"team_id": "kitchen"}, {"topic": "food"}):
        response = staff.get(CHANGELIST, params)
        assert response.status_code == 200
        assert "/m1/change/" in response.text and "/m2/change/" not in response.text


def test_agent_filter_offers_agents_that_differ_only_in_case(staff, db_id):
    memory_create(db_id, memory_id="m1", agent_id="chef")
    memory_create(db_id, memory_id="m2", agent_id="Chef")

    page = staff.get(CHANGELIST, {"target": f"{db_id}:agno_memories"})

    assert "?agent_id=chef" in page.text.replace("&amp;", "?").replace("%3A", ":")
    assert "?agent_id=Chef" in page.text.replace("&amp;", "?").replace("%3A", ":")


def test_the_target_filter_offers_every_table_and_no_all(staff):
    page = staff.get(CHANGELIST, {"target": "lite:agno_memories"})

    changelist = page.context["cl"]
    (target_filter,) = [
        spec for spec in changelist.filter_specs if spec.parameter_name == "target"
    ]
    choices = list(target_filter.choices(changelist))
    configured = [f"{t.db_id}:{t.table}" for t in all_targets()]
    assert [choice["query_string"].split("target=")[1] for choice in choices] == [
        quote(key) for key in configured
    ]
    assert [choice["display"] for choice in choices if choice["selected"]] == [
        "lite / agno_memories"
    ]


def test_topic_filter_offers_the_current_tables_topics_only(staff):
    memory_create("lite", memory_id="l1", topics=["sport"])
    memory_create("default", memory_id="d1", topics=["food"])

    page = staff.get(CHANGELIST, {"target": "lite:agno_memories"})

    (topic_filter,) = [s for s in page.context["cl"].filter_specs if s.parameter_name == "topic"]
    assert topic_filter.lookup_choices == [("sport", "sport")]
