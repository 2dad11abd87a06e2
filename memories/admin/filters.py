"""Changelist filters: the database and table, then agent, team and topic within it."""

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _

from memories.admin.targets import TARGET_PARAM, is_unreachable, target_from_request, target_key
from memories.selectors import filter_memories
from memories.summaries import column_values, visible_topics
from memories.targets import all_targets, resolve_target


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
        values = column_values(target=target, column=self.column)
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
        topics = visible_topics(target=target_from_request(request), user_id=None)
        return [(topic, topic) for topic in topics[:100]]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        value = self.value()
        return filter_memories(queryset, topics=[value]) if value else queryset
