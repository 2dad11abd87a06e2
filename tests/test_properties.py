"""Properties over arbitrary strings: resolution is total, and ownership is never crossed."""

from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from memories.exceptions import (
    DatabaseNotFoundError,
    TableNotFoundError,
    TableWithoutDatabaseError,
)
from memories.models import MemoryDeletion
from memories.targets import all_targets, resolve_target
from tests.conftest import mint, require_db_id
from tests.factories import memory_create, model_of

# Printable text as ids and subjects: no control characters (422 anyway), no "/" in ids
# (a path separator), at most 40 characters.
TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=40)
MEMORY_ID = TEXT.filter(lambda value: "/" not in value and value not in {".", ".."})
PROPERTY_SETTINGS = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@given(db_id=st.none() | TEXT, table=st.none() | TEXT)
@settings(max_examples=300, deadline=None)
def test_resolution_is_total(db_id, table):
    try:
        target = resolve_target(db_id=db_id, table=table)
    except (DatabaseNotFoundError, TableNotFoundError, TableWithoutDatabaseError):
        return
    assert target in all_targets()


def as_subject(subject: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {mint(subject)}")
    return client


@pytest.mark.parametrize("db_id", ["default", "maria"])
@pytest.mark.django_db(databases="__all__")
@PROPERTY_SETTINGS
@given(owner=TEXT, subject=TEXT, memory_id=MEMORY_ID, topic=TEXT)
@example(owner="alice", subject="Alice", memory_id="m1", topic="t")
@example(owner="alice", subject="alice ", memory_id="m1", topic="t")
@example(owner="ß", subject="ss", memory_id="m1", topic="t")
def test_a_regular_token_never_touches_another_users_memory(
    db_id, owner, subject, memory_id, topic
):
    require_db_id(db_id)
    if owner == subject:
        return
    model = model_of(db_id)
    memory_create(db_id, memory_id=memory_id, user_id=owner, memory="secret", topics=[topic])
    client, path = as_subject(subject), f"/memories/{quote(memory_id, safe='')}?db_id={db_id}"
    try:
        responses = [
            client.get(path),
            client.patch(path, {"memory": "changed", "user_id": owner}, format="json"),
            client.delete(path),
            client.delete(f"/memories?db_id={db_id}", {"memory_ids": [memory_id]}, format="json"),
        ]
        listed = client.get(
            f"/memories?db_id={db_id}",
            {"user_id": owner, "topics": topic, "search_content": "secret"},
        )

        assert [r.status_code for r in responses] == [404, 404, 404, 204]
        assert listed.json()["data"] == []
        row = model._default_manager.using(db_id).get(memory_id=memory_id)
        assert (row.user_id, row.memory, row.topics) == (owner, "secret", [topic])
    finally:
        model._default_manager.using(db_id).all().delete()


# MariaDB is left out: its usual collation makes "a" and "A " one key, so such lists collide.
@pytest.mark.parametrize("db_id", ["default", "pg"])
@pytest.mark.django_db(databases="__all__")
@PROPERTY_SETTINGS
@given(
    memory_ids=st.lists(
        MEMORY_ID.filter(lambda value: value != "kept"), min_size=2, max_size=6, unique=True
    )
)
@example(memory_ids=['quote"d', "back\\slash", "comma,and{brace}"])
@example(memory_ids=["\U0001f600 astral", "e\u0301 combining", "\ufeffbom"])
def test_bulk_delete_takes_exactly_the_ids_given(db_id, memory_ids):
    require_db_id(db_id)
    model = model_of(db_id)
    for memory_id in [*memory_ids, "kept"]:
        memory_create(db_id, memory_id=memory_id, user_id="alice")
    try:
        response = as_subject("alice").delete(
            f"/memories?db_id={db_id}", {"memory_ids": memory_ids}, format="json"
        )

        assert response.status_code == 204
        left = model._default_manager.using(db_id).values_list("memory_id", flat=True)
        assert list(left) == ["kept"]
        record = MemoryDeletion.objects.get()
        assert sorted(record.memory_ids) == sorted(memory_ids)
    finally:
        model._default_manager.using(db_id).all().delete()
        MemoryDeletion.objects.all().delete()
