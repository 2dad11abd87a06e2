"""The date hierarchy's dates found by index probes (memories/admin/date_probes.py) are
Django's own (`QuerySet.datetimes`), on the default database (SQLite, PostgreSQL in the
second pass) and in time zones whose days and years begin at other instants than UTC's."""

import datetime
import zoneinfo

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from memories.admin.date_probes import MAX_PROBES, with_probed_dates
from memories.models import MemoryDeletion

pytestmark = pytest.mark.django_db(databases=["default"])

UTC = datetime.UTC
# Around the ends of years, months and days somewhere, and the changes of the clocks in
# Europe (2025-03-30 01:00 UTC, 2025-10-26 01:00 UTC), in Los Angeles (2025-03-09 10:00 UTC,
# 2025-11-02 09:00 UTC), in Santiago de Chile at local midnight (2025-04-06 03:00 UTC, back
# to 23:00: the hour before midnight repeated; 2025-09-07 04:00 UTC, midnight skipped) and
# in Havana (2025-03-09 05:00 UTC, midnight skipped; 2025-11-02 05:00 UTC, back from 01:00 to
# 00:00: midnight repeated, a day beginning at the first of two instants).
MOMENTS = [
    datetime.datetime(2024, 12, 31, 23, 30, tzinfo=UTC),
    datetime.datetime(2025, 1, 1, 0, 30, tzinfo=UTC),
    datetime.datetime(2025, 3, 29, 23, 30, tzinfo=UTC),
    datetime.datetime(2025, 3, 9, 4, 30, tzinfo=UTC),
    datetime.datetime(2025, 3, 9, 5, 30, tzinfo=UTC),
    datetime.datetime(2025, 3, 9, 9, 30, tzinfo=UTC),
    datetime.datetime(2025, 3, 9, 10, 30, tzinfo=UTC),
    datetime.datetime(2025, 3, 30, 1, 30, tzinfo=UTC),
    datetime.datetime(2025, 4, 6, 2, 30, tzinfo=UTC),
    datetime.datetime(2025, 4, 6, 3, 30, tzinfo=UTC),
    datetime.datetime(2025, 9, 7, 3, 30, tzinfo=UTC),
    datetime.datetime(2025, 9, 7, 4, 30, tzinfo=UTC),
    datetime.datetime(2025, 10, 25, 22, 30, tzinfo=UTC),
    datetime.datetime(2025, 10, 26, 0, 30, tzinfo=UTC),
    datetime.datetime(2025, 10, 26, 23, 30, tzinfo=UTC),
    datetime.datetime(2025, 11, 2, 3, 30, tzinfo=UTC),
    datetime.datetime(2025, 11, 2, 4, 30, tzinfo=UTC),
    datetime.datetime(2025, 11, 2, 5, 30, tzinfo=UTC),
    datetime.datetime(2025, 11, 2, 8, 30, tzinfo=UTC),
    datetime.datetime(2025, 11, 2, 9, 30, tzinfo=UTC),
    datetime.datetime(2026, 2, 28, 23, 59, 59, tzinfo=UTC),
    datetime.datetime(2026, 7, 15, 12, 0, tzinfo=UTC),
    datetime.datetime(2026, 12, 31, 10, 0, tzinfo=UTC),
]
ZONES = ["UTC", "Europe/Paris", "Pacific/Kiritimati", "America/Los_Angeles", "America/Santiago"]
ZONES += ["America/Havana"]


def record(at: datetime.datetime) -> MemoryDeletion:
    return MemoryDeletion.objects.create(
        deleted_at=at, actor="a", channel="api", db_id="default", table_name="t", count=1
    )


def both_ways(rows, kind: str, order: str = "ASC") -> tuple[list, list]:
    probed = list(with_probed_dates(rows).datetimes("deleted_at", kind, order))  # type: ignore[arg-type]
    plain = list(rows.datetimes("deleted_at", kind, order))
    return probed, plain


@pytest.mark.parametrize("zone", ZONES)
def test_the_years_months_and_days_are_djangos(zone):
    for moment in MOMENTS:
        record(moment)
    rows = MemoryDeletion.objects.all()

    with timezone.override(zoneinfo.ZoneInfo(zone)):
        years, plain_years = both_ways(rows, "year")
        assert years == plain_years and len(years) >= 2
        assert both_ways(rows, "year", "DESC") == (plain_years[::-1], plain_years[::-1])
        for year in years:
            in_year = rows.filter(deleted_at__year=year.year)
            months, plain_months = both_ways(in_year, "month")
            assert months == plain_months and months
            for month in months:
                in_month = in_year.filter(deleted_at__month=month.month)
                days, plain_days = both_ways(in_month, "day")
                assert days == plain_days and days
                # The same instants, told in the zone, as the hierarchy shows them.
                assert [(d.utcoffset(), d.fold) for d in days] == [
                    (d.utcoffset(), d.fold) for d in plain_days
                ]


def test_a_filter_of_the_list_is_kept_and_no_row_gives_no_date():
    record(MOMENTS[0])
    record(MOMENTS[-1])
    MemoryDeletion.objects.filter(deleted_at=MOMENTS[0]).update(channel="admin")
    admin = MemoryDeletion.objects.filter(channel="admin")

    assert both_ways(admin, "year") == ([datetime.datetime(2024, 1, 1, tzinfo=UTC)],) * 2
    nothing = MemoryDeletion.objects.filter(channel="retention")
    assert both_ways(nothing, "year") == ([], [])


def test_each_date_is_a_probe_not_a_read_of_every_row():
    for moment in MOMENTS:
        record(moment)
    connection = connections["default"]

    with CaptureQueriesContext(connection) as captured:
        list(with_probed_dates(MemoryDeletion.objects.all()).datetimes("deleted_at", "month"))

    statements = [query["sql"].upper() for query in captured.captured_queries]
    assert not [sql for sql in statements if "DISTINCT" in sql]
    # The first and last dates, then a probe per month between them (2024-12 to 2026-12).
    assert len(statements) == 1 + 25


def test_a_span_of_too_many_periods_is_read_the_plain_way():
    record(datetime.datetime(1990, 1, 1, tzinfo=UTC))
    record(MOMENTS[-1])
    rows = MemoryDeletion.objects.all()
    assert MAX_PROBES < (2026 - 1990) * 12

    with CaptureQueriesContext(connections["default"]) as captured:
        probed = list(with_probed_dates(rows).datetimes("deleted_at", "month"))

    assert probed == list(rows.datetimes("deleted_at", "month")) and len(probed) == 2
    # The first and last dates, then the plain way's one read: no probe.
    statements = [query["sql"].upper() for query in captured.captured_queries]
    assert len(statements) == 2 and "DISTINCT" in statements[1]


def test_the_zone_given_and_a_list_without_time_zones_are_djangos(settings):
    for moment in MOMENTS:
        record(moment)
    rows = MemoryDeletion.objects.all()
    tokyo = zoneinfo.ZoneInfo("Asia/Tokyo")

    given = list(with_probed_dates(rows).datetimes("deleted_at", "month", tzinfo=tokyo))
    assert given == list(rows.datetimes("deleted_at", "month", tzinfo=tokyo))
    assert {day.utcoffset() for day in given} == {datetime.timedelta(hours=9)}
    settings.USE_TZ = False
    naive = list(with_probed_dates(rows).datetimes("deleted_at", "day"))
    assert naive == list(rows.datetimes("deleted_at", "day")) and naive[0].tzinfo is None


def test_the_queryset_keeps_its_database_prefetches_and_distinct():
    # Any lookup: a prefetch is only looked up when rows are read.
    rows = MemoryDeletion.objects.using("default").prefetch_related("x").distinct()  # type: ignore[misc]

    probed = with_probed_dates(rows).filter(channel="api").order_by("-deleted_at")

    assert type(probed).__name__ == "ProbedDatesQuerySet"
    assert probed.db == "default"
    assert probed._prefetch_related_lookups == ("x",)  # type: ignore[attr-defined]
    assert probed.query.distinct


def test_a_date_in_the_calendars_last_year_is_read_the_plain_way():
    record(datetime.datetime(9999, 12, 31, 12, tzinfo=UTC))
    rows = MemoryDeletion.objects.all()

    with timezone.override(datetime.UTC):
        assert both_ways(rows, "year") == ([datetime.datetime(9999, 1, 1, tzinfo=UTC)],) * 2
        assert both_ways(rows, "day") == ([datetime.datetime(9999, 12, 31, tzinfo=UTC)],) * 2


def test_the_year_1_east_of_utc_is_read_the_plain_way_where_probes_cannot_be_told():
    # In Tokyo the year 1 begins in the year 0 in UTC, where SQLite's and MariaDB's
    # parameters are told: those probes cannot be sent, and the plain way answers.
    record(datetime.datetime(1, 1, 1, 12, tzinfo=UTC))
    record(datetime.datetime(1, 3, 1, 12, tzinfo=UTC))
    rows = MemoryDeletion.objects.all()

    with timezone.override(zoneinfo.ZoneInfo("Asia/Tokyo")):
        years, plain_years = both_ways(rows, "year")
        months, plain_months = both_ways(rows, "month")

    assert years == plain_years and [year.year for year in years] == [1]
    assert months == plain_months and [month.month for month in months] == [1, 3]
