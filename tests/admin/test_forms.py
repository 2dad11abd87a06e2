"""The form staff edit a memory with (memories/admin/forms.py)."""

import pytest

from tests.admin.conftest import CHANGELIST
from tests.factories import memory_create, model_of

pytestmark = pytest.mark.django_db(databases="__all__")


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


def test_the_form_shows_the_text_and_topics_not_agnos_encoding(staff):
    memory_create(memory_id="m1", memory={"memory": "Likes tea"}, topics=["drinks", "tea"])

    page = staff.get(f"{CHANGELIST}m1/change/")

    form = page.context["adminform"].form
    assert (form.initial["memory"], form.initial["topics"]) == ("Likes tea", "drinks, tea")


@pytest.mark.parametrize(
    "topics",
    [", ".join(f"t{n}" for n in range(51)), "food, " + "x" * 101],
    ids=["51-topics", "a-topic-of-101-characters"],
)
def test_too_many_or_too_long_topics_are_refused_and_change_nothing(staff, topics):
    memory_create(memory_id="m1", memory="Likes tea", topics=["drinks"])

    response = staff.post(f"{CHANGELIST}m1/change/", {"memory": "edited", "topics": topics})

    assert response.status_code == 200  # the form again, with its error
    assert response.context["adminform"].form.errors == {
        "topics": ["At most 50 topics of at most 100 characters."]
    }
    unchanged = model_of("default")._default_manager.get(memory_id="m1")
    assert (unchanged.memory, unchanged.topics) == ("Likes tea", ["drinks"])
