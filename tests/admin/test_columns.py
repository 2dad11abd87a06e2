"""The admin's compact list columns (memories/admin/columns.py): times in the current time
zone, as Django's admin shows them, the zone named, the same on lists and detail pages; ids
short in lists and whole on hover, text clamped."""

import datetime
from zoneinfo import ZoneInfo

import pytest
from django.test import override_settings

from memories.models import MemoryDeletion, MemoryExport
from tests.factories import memory_create

pytestmark = pytest.mark.django_db(databases=["default"])

# 18:43 UTC on a winter day: 19:43 in Berlin (CET).
MOMENT = datetime.datetime(2026, 12, 6, 18, 43, tzinfo=datetime.UTC)


def pages(staff, model: str, pk: object) -> list[str]:
    listing = staff.get(f"/admin/memories/{model}/")
    detail = staff.get(f"/admin/memories/{model}/{pk}/change/")
    assert listing.status_code == detail.status_code == 200
    return [listing.text, detail.text]


def audit_records(moment: datetime.datetime) -> list[tuple[str, MemoryDeletion | MemoryExport]]:
    """A deletion record and an export record of `moment`, each with its admin's name."""
    deletion = MemoryDeletion.objects.create(
        deleted_at=moment,
        actor="operator",
        channel="api",
        db_id="default",
        table_name="agno_memories",
        memory_ids=["m1"],
        user_ids=["alice"],
        count=1,
    )
    export = MemoryExport.objects.create(
        exported_at=moment,
        actor="operator",
        channel="api",
        db_id="default",
        table_name="agno_memories",
        user_id="alice",
        count=1,
    )
    return [("memorydeletion", deletion), ("memoryexport", export)]


@override_settings(TIME_ZONE="Europe/Berlin")
def test_an_audit_records_time_is_the_same_on_its_list_and_its_page(staff):
    for model, record in audit_records(MOMENT):
        for page in pages(staff, model, record.pk):
            assert '2026-12-06<br><span class="memories-time">19:43 CET</span>' in page
            assert "18:43 UTC" not in page  # only the machine-readable datetime is UTC


@override_settings(TIME_ZONE="Europe/Berlin", USE_TZ=False)
def test_a_host_without_time_zones_sees_its_audit_records_times_as_its_own(staff):
    # USE_TZ = False: Django keeps every time naive, as TIME_ZONE's wall clock.
    wall_clock = MOMENT.astimezone(ZoneInfo("Europe/Berlin")).replace(tzinfo=None)

    for model, record in audit_records(wall_clock):
        for page in pages(staff, model, record.pk):
            assert '2026-12-06<br><span class="memories-time">19:43 CET</span>' in page
            assert f'<time datetime="{MOMENT.isoformat()}">' in page


@override_settings(TIME_ZONE="Europe/Berlin")
def test_a_memorys_times_are_the_same_on_its_list_and_its_page(staff):
    memory_create(memory_id="m1", user_id="alice", created_at=int(MOMENT.timestamp()))

    for page in pages(staff, "memory", "m1"):
        assert "19:43 CET" in page
        assert "18:43 UTC" not in page


def test_a_long_id_is_cut_in_the_list_and_whole_on_hover_and_on_its_page(staff):
    memory_id = "a-memory-id-of-forty-characters-0000000"
    memory_create(memory_id=memory_id, memory="x" * 400)

    listing = staff.get("/admin/memories/memory/")
    detail = staff.get(f"/admin/memories/memory/{memory_id}/change/")

    assert f'<span class="memories-id" title="{memory_id}">a-memory…</span>' in listing.text
    # The text cell holds 300 characters (the last one an ellipsis), the page all 400.
    assert f'<span class="memories-clamp">{"x" * 299}…</span>' in listing.text
    assert "x" * 300 not in listing.text
    assert "x" * 400 in detail.text
