"""The audit trail in the admin (memories/admin/audit.py): readable by staff, never added
to, changed or deleted from there."""

import datetime
import html
import re
from typing import Any

import pytest
from django.conf import settings
from django.contrib.admin.templatetags.admin_list import date_hierarchy
from django.db import connections
from django.test import override_settings
from django.test.utils import CaptureQueriesContext

from memories.models import MemoryDeletion, MemoryExport
from memories.targets import configured_db_ids
from tests.admin.conftest import CHANGELIST

pytestmark = pytest.mark.django_db(databases="__all__")


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


def test_the_export_trail_is_read_only_and_names_an_export_of_everyone(staff):
    record = MemoryExport.objects.create(
        actor="operator", channel="api", db_id="lite", table_name="agno_memories", count=3
    )
    url = "/admin/memories/memoryexport/"

    listing = staff.get(url)
    change = staff.post(f"{url}{record.pk}/change/", {"count": "0"})
    delete = staff.post(f"{url}{record.pk}/delete/", {"post": "yes"})

    assert listing.status_code == 200
    assert '<span class="memories-line" title="everyone">everyone</span>' in listing.text
    assert staff.get(f"{url}add/").status_code == 403
    assert change.status_code == 403
    assert delete.status_code == 403
    assert list(MemoryExport.objects.values_list("count", flat=True)) == [3]


AUDIT = "/admin/memories/memorydeletion/"


def trail(count: int) -> list[MemoryDeletion]:
    """count deletion records, one a minute back from 2026-12-07 12:00 UTC, by three actors
    in two databases; PostgreSQL's statistics taken, as autovacuum would. Newest first."""
    start = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)
    MemoryDeletion.objects.bulk_create(
        MemoryDeletion(
            deleted_at=start - datetime.timedelta(minutes=n),
            actor=f"actor-{n % 3}",
            channel="api" if n % 5 else "admin",
            db_id="lite" if n % 2 else "default",
            table_name="agno_memories",
            memory_ids=[f"m{n:04}"],
            user_ids=[f"user-{n % 7}"],
            count=1,
        )
        for n in range(count)
    )
    connection = connections["default"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE memories_memorydeletion")
    return list(MemoryDeletion.objects.order_by("-deleted_at"))


def large_from(rows: int):
    return override_settings(MEMORIES={**settings.MEMORIES, "ADMIN_LARGE_TABLE_ROWS": rows})


def read_by(staff, url: str, params: dict[str, str]) -> tuple[Any, list[str]]:
    """The response and the statements it ran on the audit records' database."""
    with CaptureQueriesContext(connections["default"]) as captured:
        response = staff.get(url, params)
    assert response.status_code == 200, response.status_code
    audit = [q["sql"] for q in captured.captured_queries if "memories_memory" in q["sql"]]
    return response, audit


def test_a_large_trail_is_listed_without_reading_every_record(staff):
    records = trail(40)

    with large_from(10):
        page, statements = read_by(staff, AUDIT, {})
        asked, asked_statements = read_by(staff, AUDIT, {"_facets": "True"})

    changelist = page.context["cl"]
    assert [record.pk for record in changelist.result_list] == [r.pk for r in records]
    # No count of the whole trail, no facets, no column's values read whole (DISTINCT), no
    # date truncated row by row.
    for sql in statements + asked_statements:
        upper = sql.upper()
        assert "DISTINCT" not in upper and "TRUNC" not in upper, sql
        assert not ("COUNT(" in upper and "LIMIT" not in upper), sql
    assert changelist.full_result_count is None and "Show counts" not in page.text
    assert not asked.context["cl"].add_facets
    # The one year and month there are: the hierarchy offers their days.
    hierarchy = date_hierarchy(changelist)
    assert hierarchy is not None
    assert [choice["title"] for choice in hierarchy["choices"]] == ["December 7"]


def test_a_small_trail_keeps_the_total_and_the_facets(staff):
    trail(12)

    page, _statements = read_by(staff, AUDIT, {"_facets": "True"})

    changelist = page.context["cl"]
    assert changelist.add_facets and changelist.full_result_count == 12
    assert "Show counts" in page.text or "Hide counts" in page.text


def test_an_actor_links_to_their_records_and_the_filter_shows_once_chosen(staff):
    records = trail(12)
    actor_1 = [record.pk for record in records if record.actor == "actor-1"]

    with large_from(10):
        page, _statements = read_by(staff, AUDIT, {})
        chosen, _statements = read_by(staff, AUDIT, {"actor": "actor-1"})

    assert '<a href="?actor=actor-1" title="This actor&#x27;s records">actor-1</a>' in page.text
    titles = [spec.title for spec in page.context["cl"].filter_specs if spec.has_output()]
    assert "actor" not in titles  # no list of every actor there ever was
    assert [record.pk for record in chosen.context["cl"].result_list] == actor_1
    (actor_filter,) = [spec for spec in chosen.context["cl"].filter_specs if spec.title == "actor"]
    assert actor_filter.lookup_choices == [("actor-1", "actor-1")]


def test_the_databases_offered_are_the_configured_ones(staff):
    records = trail(6)
    MemoryDeletion.objects.filter(pk=records[0].pk).update(db_id="retired")

    page, _statements = read_by(staff, AUDIT, {})
    retired, _statements = read_by(staff, AUDIT, {"db_id": "retired"})

    (offered,) = [spec for spec in page.context["cl"].filter_specs if spec.title == "db_id"]
    assert [db_id for db_id, _title in offered.lookup_choices] == list(configured_db_ids())
    assert [record.pk for record in retired.context["cl"].result_list] == [records[0].pk]
    (chosen,) = [spec for spec in retired.context["cl"].filter_specs if spec.title == "db_id"]
    assert ("retired", "retired") in chosen.lookup_choices


def test_a_large_postgresql_trail_shows_its_estimate_labelled(staff):
    if connections["default"].vendor != "postgresql":
        pytest.skip("the planner's estimate is PostgreSQL's")
    records = trail(260)

    with large_from(100):
        first, _statements = read_by(staff, AUDIT, {})
        last, _statements = read_by(staff, AUDIT, {"p": "6"})

    changelist = first.context["cl"]
    assert changelist.paginator.is_estimate
    assert f"About {changelist.result_count} records match: an estimate" in first.text
    assert [r.pk for r in last.context["cl"].result_list] == [r.pk for r in records[250:]]


def test_a_page_past_any_offset_of_a_large_postgresql_trail_goes_back_to_the_list(staff):
    if connections["default"].vendor != "postgresql":
        pytest.skip("the planner's estimate is PostgreSQL's")
    trail(260)

    with large_from(100):
        far, _statements = read_by(staff, AUDIT, {"p": "100000"})
        beyond = staff.get(AUDIT, {"p": str(2**63 // 50 + 1)})

    assert far.context["cl"].paginator.is_estimate and list(far.context["cl"].result_list) == []
    assert beyond.status_code == 302 and beyond["Location"] == f"{AUDIT}?e=1"


@pytest.mark.parametrize(
    "query",
    [
        {"actor": "actor-1\x00"},
        {"db_id": "\x00"},
        {"channel__exact": "api\x00"},
        {"q": "m0001\x00"},
        {"\x00": "x"},
        {"deleted_at__year": "9999"},
        {"deleted_at__year": "9999", "deleted_at__month": "12"},
        {"deleted_at__year": "9999", "deleted_at__month": "12", "deleted_at__day": "31"},
    ],
    ids=["actor", "db_id", "channel", "search", "name", "year", "month", "day"],
)
@pytest.mark.parametrize("large", [False, True], ids=["small", "large"])
def test_a_query_the_trail_cannot_show_goes_back_to_the_list(staff, query, large):
    # A NUL is refused by PostgreSQL in a parameter; the year 9999's periods end past the
    # calendar: both were server errors in Django's own changelist.
    records = trail(12)

    with large_from(10 if large else 1000):
        response = staff.get(AUDIT, query)

    assert response.status_code == 302 and response["Location"] == f"{AUDIT}?e=1"
    assert list(MemoryDeletion.objects.order_by("-deleted_at")) == records


@override_settings(TIME_ZONE="Asia/Tokyo")
def test_the_year_1_east_of_utc_goes_back_to_the_list(staff):
    # Its first instant, 0001-01-01 00:00 in Tokyo, is in the year 0 in UTC, where SQLite's
    # and MariaDB's parameters are told.
    trail(3)

    response = staff.get(AUDIT, {"deleted_at__year": "1"})
    this_year = staff.get(AUDIT, {"deleted_at__year": "2026"})

    assert response.status_code == 302 and response["Location"] == f"{AUDIT}?e=1"
    assert this_year.status_code == 200 and len(this_year.context["cl"].result_list) == 3


def test_an_actor_of_any_characters_links_to_exactly_their_records(staff):
    actor = 'o\'neil & <ops> "team" Zoë+%41'
    trail(3)
    MemoryDeletion.objects.create(
        actor=actor, channel="admin", db_id="default", table_name="t", count=1
    )
    mine = MemoryDeletion.objects.get(actor=actor)  # the newest: the first listed

    page, _statements = read_by(staff, AUDIT, {})
    (href,) = re.findall(r'<a href="\?(actor=[^"]*)"[^>]*>([^<]*)</a>', page.text)[:1]
    query = html.unescape(href[0])
    chosen = staff.get(f"{AUDIT}?{query}")

    assert html.unescape(href[1]) == actor and "<ops>" not in page.text
    assert [record.pk for record in chosen.context["cl"].result_list] == [mine.pk]


def test_a_large_export_trail_is_listed_without_reading_every_record(staff):
    start = datetime.datetime(2026, 12, 7, 12, 0, tzinfo=datetime.UTC)
    MemoryExport.objects.bulk_create(
        MemoryExport(
            exported_at=start - datetime.timedelta(days=40 * n),
            actor=f"actor-{n % 2}",
            channel="api",
            db_id="default",
            table_name="agno_memories",
            user_id=f"user-{n}",
            count=n,
            finished=n % 3 != 0,
        )
        for n in range(12)
    )
    url = "/admin/memories/memoryexport/"

    with large_from(5):
        page, statements = read_by(staff, url, {"_facets": "True"})
        chosen, chosen_statements = read_by(
            staff, url, {"actor": "actor-1", "finished__exact": "0"}
        )

    for sql in statements + chosen_statements:
        upper = sql.upper()
        assert "DISTINCT" not in upper and "TRUNC" not in upper, sql
        assert not ("COUNT(" in upper and "LIMIT" not in upper), sql
    changelist = page.context["cl"]
    assert len(changelist.result_list) == 12 and not changelist.add_facets
    hierarchy = date_hierarchy(changelist)
    assert hierarchy is not None
    assert [choice["title"] for choice in hierarchy["choices"]] == ["2025", "2026"]
    assert [record.user_id for record in chosen.context["cl"].result_list] == ["user-3", "user-9"]
