"""The admin's date hierarchy on a large table: each date it offers found by an index probe.

Django's date hierarchy lists the years (the months of a year, the days of a month) that
hold rows with `QuerySet.datetimes()`: a SELECT DISTINCT of every listed row's truncated
date, which reads every row (for the years, every audit record): seconds on a table of
millions, on every page of the list. Here the list's first and last date (the field's index,
read at each end) bound the periods that can hold a row, and each of them is asked whether
it holds one (EXISTS over the period's range of that index): as many probes as periods,
each reading one index entry when its period holds rows. The answer is the same list of
dates, in the same time zone; tests/admin/test_date_probes.py holds it to Django's on SQLite
and PostgreSQL, in zones whose clocks change at other hours than UTC's, midnight included. A
span of more than MAX_PROBES periods (dates decades apart) is read the plain way.
"""

import datetime
from collections.abc import Iterator
from itertools import islice
from typing import Any, Literal

from django.conf import settings
from django.db.models import Max, Min, QuerySet
from django.utils import timezone

# More periods than this between the first and the last date: one DISTINCT costs less.
MAX_PROBES = 120


def _start_of(value: datetime.datetime, kind: str) -> datetime.datetime:
    if kind == "year":
        return datetime.datetime(value.year, 1, 1)
    if kind == "month":
        return datetime.datetime(value.year, value.month, 1)
    return datetime.datetime(value.year, value.month, value.day)


def _next(start: datetime.datetime, kind: str) -> datetime.datetime:
    if kind == "year":
        return start.replace(year=start.year + 1)
    if kind == "month":
        if start.month == 12:
            return start.replace(year=start.year + 1, month=1)
        return start.replace(month=start.month + 1)
    return start + datetime.timedelta(days=1)


def _periods(
    first: datetime.datetime, last: datetime.datetime, kind: str
) -> Iterator[tuple[datetime.datetime, datetime.datetime]]:
    """Each period of `kind` from the one holding `first` to the one holding `last`, as wall
    clock times (naive): its start and the next one's."""
    start = _start_of(first, kind)
    while start <= last:
        following = _next(start, kind)
        yield start, following
        start = following


class ProbedDatesQuerySet(QuerySet):  # type: ignore[type-arg]
    """A queryset whose `datetimes()` for years, months and days probes the field's index
    period by period instead of reading every row; it answers a list, which is all the
    admin's date hierarchy does with it: iterate."""

    def datetimes(
        self,
        field_name: str,
        kind: Literal["year", "month", "week", "day", "hour", "minute", "second"],
        order: Literal["ASC", "DESC"] = "ASC",
        tzinfo: Any = None,
    ) -> Any:
        plain = super().datetimes(field_name, kind, order, tzinfo)
        if kind not in ("year", "month", "day"):
            return plain
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        first, last = bounds["first"], bounds["last"]
        if first is None or last is None:
            return []
        zone = (tzinfo or timezone.get_current_timezone()) if settings.USE_TZ else None
        try:
            found = self._probed(field_name, kind, first, last, zone)
        except (ValueError, OverflowError):
            # A date at either end of the calendar: in the year 9999 (its period ends past
            # it), or in the year 1 where a period's start is in the year 0 in UTC.
            return plain
        if found is None:
            return plain
        return found if order == "ASC" else found[::-1]

    def _probed(
        self,
        field_name: str,
        kind: str,
        first: datetime.datetime,
        last: datetime.datetime,
        zone: Any,
    ) -> list[datetime.datetime] | None:
        """The starts of the periods holding a row, in ascending order; None past
        MAX_PROBES periods."""
        if zone is not None:
            first = timezone.localtime(first, zone).replace(tzinfo=None)
            last = timezone.localtime(last, zone).replace(tzinfo=None)
        periods = list(islice(_periods(first, last, kind), MAX_PROBES + 1))
        if len(periods) > MAX_PROBES:
            return None
        return [
            start
            for start, end in ((_aware(start, zone), _aware(end, zone)) for start, end in periods)
            if self.filter(**{f"{field_name}__gte": start, f"{field_name}__lt": end}).exists()
        ]


def _aware(wall_clock: datetime.datetime, zone: Any) -> datetime.datetime:
    # The period's start in the zone, as Django's truncation gives it (a wall clock time that
    # a change of the clocks skips or repeats: its first occurrence).
    return wall_clock if zone is None else timezone.make_aware(wall_clock, zone)


def with_probed_dates(rows: QuerySet[Any]) -> ProbedDatesQuerySet:
    """The same queryset (its database, prefetches and all), as a ProbedDatesQuerySet; its
    filters, searches and orderings keep the class."""
    probed = rows._chain()  # type: ignore[attr-defined]
    probed.__class__ = ProbedDatesQuerySet
    return probed  # type: ignore[no-any-return]
