"""Changelist filters: the database and table, then agent, team and topic within it."""

import logging
from collections.abc import Callable
from typing import Any

from django.contrib import admin, messages
from django.db import DatabaseError
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from memories.admin.targets import TARGET_PARAM, is_unreachable, target_from_request, target_key
from memories.exceptions import StatementTimeoutError
from memories.selectors import filter_memories
from memories.statement_limits import statement_timeout_of
from memories.summaries import column_values, visible_topics
from memories.targets import all_targets, resolve_target

logger = logging.getLogger("memories.admin")


# Set on a request once one filter's read ran past the statement limit.
_CUT = "_memories_filter_choices_cut"


def choices_read(request: HttpRequest, title: Any, read: Callable[[], list[str]]) -> list[str]:
    """A filter's choices, or none when their read (the whole table's) ran past the statement
    limit: nothing was kept of it, so without this every list of a table that large would
    fail on it, when its rows alone are read in time. Once one filter's read was cut, the
    page's other filters (each a read of the same whole table) offer none without waiting
    the limit out in turn."""
    cut: StatementTimeoutError | None = getattr(request, _CUT, None)
    if cut is None:
        try:
            return read()
        except DatabaseError as error:
            cut = statement_timeout_of(error)
            if cut is None:
                raise
            setattr(request, _CUT, cut)
    logger.warning("admin filter %s: choices not read (%s)", title, cut)
    message = gettext("%(explanation)s: the filter “%(filter)s” offers no choices.") % {
        "explanation": cut.explanation,
        "filter": title,
    }
    messages.warning(request, message)
    return []


class TargetFilter(admin.SimpleListFilter):
    """Switches the whole changelist to one database and table; there is no "All"."""

    title = _("database and table")
    parameter_name = TARGET_PARAM

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [(target_key(t), f"{t.db_id} / {t.table}") for t in all_targets()]

    def choices(self, changelist: Any) -> Any:
        current = self.value() or target_key(resolve_target())
        for key, title in self.lookup_choices:
            yield {
                "selected": key == current,
                "query_string": changelist.get_query_string({self.parameter_name: key}),
                "display": title,
            }

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        return queryset  # MemoryAdmin.get_queryset already reads the target


class ColumnFilter(admin.SimpleListFilter):
    """Exact values of one column of the current target."""

    column = ""

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        if is_unreachable(request):
            return []
        target = target_from_request(request)
        values = choices_read(
            request, self.title, lambda: column_values(target=target, column=self.column)
        )
        return [(value, value) for value in values]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        if not value:
            return queryset
        column_filter: dict[str, Any] = {self.column: value}
        return filter_memories(queryset, **column_filter)


class AgentFilter(ColumnFilter):
    title = _("agent_id")
    parameter_name = column = "agent_id"


class TeamFilter(ColumnFilter):
    title = _("team_id")
    parameter_name = column = "team_id"


class TopicFilter(admin.SimpleListFilter):
    title = _("topic")
    parameter_name = "topic"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        if is_unreachable(request):
            return []
        target = target_from_request(request)
        topics = choices_read(
            request, self.title, lambda: visible_topics(target=target, user_id=None)
        )
        return [(topic, topic) for topic in topics[:100]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return filter_memories(queryset, topics=[value]) if value else queryset
