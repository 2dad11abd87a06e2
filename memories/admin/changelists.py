"""The changelists of large tables (memories, audit records): no count of every row, no
per-filter counts.

Django's changelist counts the filtered rows and the whole table on every page, and its
"Show counts" runs one COUNT per filter value: on a table of millions of memories each takes
seconds, the facets minutes. On a table larger than MEMORIES["ADMIN_LARGE_TABLE_ROWS"], the
list counts exactly up to list_max_show_all matches and, beyond, shows PostgreSQL's estimate
labelled as one; it counts no total and offers no facets.
"""

import datetime
from functools import cached_property
from typing import Any

from django.conf import settings
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ChangeList
from django.core.paginator import EmptyPage, Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext

from memories.admin.targets import is_unreachable, target_from_request
from memories.conf import memories_settings
from memories.counts import count_up_to, planner_estimate, table_rows_estimate
from memories.selectors import memory_queryset

# Set on a request once its target's table has been found large or not.
_LARGE = "_memories_target_large"
# The largest OFFSET every supported database takes (a signed 64-bit integer).
MAX_OFFSET = 2**63 - 1


def is_large_table(request: HttpRequest) -> bool:
    """Whether the request's table holds more than ADMIN_LARGE_TABLE_ROWS memories (once per
    request); a database that is down has none."""
    found = getattr(request, _LARGE, None)
    if found is None:
        found = not is_unreachable(request) and holds_more_than(
            memory_queryset(target=target_from_request(request), user_id=None),
            memories_settings.ADMIN_LARGE_TABLE_ROWS,
        )
        setattr(request, _LARGE, found)
    return bool(found)


def holds_more_than(rows: QuerySet[Any], bound: int) -> bool:
    """Whether the query's table holds more than bound rows."""
    # PostgreSQL's statistics when they say more (nearly free; the count read 100,001 index
    # entries, 19 ms a page); otherwise a count that stops past the bound, which their
    # absence (never analyzed) or a table grown since they were taken cannot mislead.
    # Note: a table emptied since its statistics is large until autovacuum analyzes it.
    estimate = table_rows_estimate(rows)
    if estimate is not None and estimate > bound:
        return True
    return count_up_to(rows, bound) > bound


class LargeTablePaginator(Paginator):  # type: ignore[type-arg]
    """Exact counts, except on a large table where more than exact_up_to rows match: there,
    PostgreSQL's estimate (is_estimate), and any page number is a page, empty past the end."""

    def __init__(
        self, object_list: QuerySet[Any], per_page: int, *, is_large: bool, exact_up_to: int
    ) -> None:
        super().__init__(object_list, per_page)
        self.rows = object_list
        self.is_large = is_large
        self.exact_up_to = exact_up_to
        self.is_estimate = False

    @cached_property
    def count(self) -> int:
        if not self.is_large:
            return super().count
        found = count_up_to(self.rows, self.exact_up_to)
        estimate = planner_estimate(self.rows) if found > self.exact_up_to else None
        if estimate is None:
            return found if found <= self.exact_up_to else super().count
        self.is_estimate = True
        # Never fewer than were found: the changelist shows every row at once below it.
        return max(estimate, found)

    def validate_number(self, number: Any) -> int:
        try:
            return super().validate_number(number)
        except EmptyPage:
            # Past the estimated last page: a page all the same, empty past the real end,
            # unless its rows would begin past any OFFSET a database takes.
            if not self.is_estimate or not 1 <= int(number) <= MAX_OFFSET // self.per_page:
                raise
            return int(number)

    def page(self, number: Any) -> Page:  # type: ignore[type-arg]
        if not self.is_estimate:
            return super().page(number)
        # The page's rows as they are, however the estimate compares.
        number = self.validate_number(number)
        start = (number - 1) * self.per_page
        return Page(self.rows[start : start + self.per_page], number, self)


class LargeTableChangeList(ChangeList):
    """Django's changelist, without facets on a large table, and with the whole table
    counted only on a small one (the admin's show_full_result_count is False), that answers
    a query string it cannot show as an invalid lookup, never a server error. The admin says
    whether the request's table is large: `is_large_table(request)`."""

    def __init__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> None:
        super().__init__(request, *args, **kwargs)
        if self._is_large(request):
            self.add_facets = self.is_facets_optional = False

    def get_filters(self, request: HttpRequest) -> Any:
        # Query strings Django's changelist turns into a server error rather than an invalid
        # lookup (which it answers by going back to the bare list): a NUL, which PostgreSQL
        # refuses in a parameter and no stored value holds, and a date hierarchy's period
        # at the calendar's end.
        if any("\x00" in key or "\x00" in "".join(values) for key, values in request.GET.lists()):
            raise IncorrectLookupParameters(gettext("The query holds a NUL character."))
        self._check_date_hierarchy(request)
        return super().get_filters(request)

    def _check_date_hierarchy(self, request: HttpRequest) -> None:
        """The date hierarchy's period bounded as Django's changelist bounds it, each bound
        within the calendar, in UTC too where times are aware: the year 9999 ends past it,
        and the year 1 east of UTC begins before it (SQLite and MariaDB take UTC)."""
        field = self.date_hierarchy
        year = request.GET.get(f"{field}__year") if field else None
        if year is None:
            return
        month = request.GET.get(f"{field}__month")
        day = request.GET.get(f"{field}__day")
        try:
            start = datetime.datetime(int(year), int(month or 1), int(day or 1))
            if day:
                end = start + datetime.timedelta(days=1)
            elif month:
                end = (start + datetime.timedelta(days=32)).replace(day=1)
            else:
                end = start.replace(year=start.year + 1)
            if settings.USE_TZ:
                for bound in (start, end):
                    timezone.make_aware(bound).astimezone(datetime.UTC)
        except (ValueError, OverflowError) as error:
            raise IncorrectLookupParameters(error) from error

    def get_results(self, request: HttpRequest) -> None:
        super().get_results(request)
        if not self._is_large(request):
            self.full_result_count = self.root_queryset.count()
            self.show_full_result_count = True
            self.show_admin_actions = bool(self.full_result_count)

    def _is_large(self, request: HttpRequest) -> bool:
        model_admin: Any = self.model_admin  # MemoryAdmin or AuditAdmin: both say
        return bool(model_admin.is_large_table(request))


class LargeTableAdminMixin:
    """A ModelAdmin's list read as a large table's where `is_large_table(request)` says so:
    LargeTableChangeList and LargeTablePaginator."""

    list_max_show_all: int

    def is_large_table(self, request: HttpRequest) -> bool:
        raise NotImplementedError

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[LargeTableChangeList]:
        return LargeTableChangeList

    def get_paginator(
        self,
        request: HttpRequest,
        queryset: QuerySet[Any],
        per_page: int,
        orphans: int = 0,
        allow_empty_first_page: bool = True,
    ) -> LargeTablePaginator:
        return LargeTablePaginator(
            queryset,
            per_page,
            is_large=self.is_large_table(request),
            exact_up_to=self.list_max_show_all,
        )
