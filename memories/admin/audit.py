"""The audit trail in the admin: who deleted or exported whose memories, where, how many;
readable by staff, never added to, changed or deleted from here.

A record is written for every deletion, so the trail grows to millions of records: each
page reads as the memory list does on a large table (no count of every record, no
per-filter counts, changelists.py), its date hierarchy probes the dates' index
(date_probes.py), and no filter lists the values of a column by reading all of it: the
databases offered are the configured ones, and an actor is chosen from the list (each
actor links to their records), not from every actor there ever was.
"""

from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from memories.admin.changelists import (
    LargeTableAdminMixin,
    LargeTableChangeList,
    holds_more_than,
)
from memories.admin.columns import SHORT_ID, first_of, lines, stamp
from memories.admin.date_probes import with_probed_dates
from memories.admin.time_limits import time_limited_urls
from memories.conf import memories_settings
from memories.models import MemoryDeletion, MemoryExport
from memories.targets import configured_db_ids


class DatabaseFilter(admin.SimpleListFilter):
    """The configured databases (and one no longer configured, when chosen by its link)."""

    title = _("db_id")
    parameter_name = "db_id"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        db_ids = list(configured_db_ids())
        chosen = self.value()
        if chosen and chosen not in db_ids:
            db_ids.append(chosen)
        return [(db_id, db_id) for db_id in db_ids]

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        chosen = self.value()
        return queryset.filter(db_id=chosen) if chosen else queryset


class ActorFilter(admin.SimpleListFilter):
    """One actor's records: shown once chosen (an actor's link in the list), with "All" to
    leave it."""

    title = _("actor")
    parameter_name = "actor"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        chosen = self.value()
        return [(chosen, chosen)] if chosen else []

    def queryset(self, request: HttpRequest, queryset: QuerySet[Any]) -> QuerySet[Any]:
        chosen = self.value()
        return queryset.filter(actor=chosen) if chosen else queryset


class AuditChangeList(LargeTableChangeList):
    def get_queryset(self, request: HttpRequest, *args: Any, **kwargs: Any) -> QuerySet[Any]:
        return with_probed_dates(super().get_queryset(request, *args, **kwargs))


class AuditAdmin(LargeTableAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    """An audit trail: readable by staff, never added to, changed or deleted from here."""

    change_list_template = "memories/admin/audit_change_list.html"
    list_per_page = 50
    # The whole trail is counted by LargeTableChangeList, on a small one only.
    show_full_result_count = False

    def is_large_table(self, request: HttpRequest) -> bool:
        """Whether the trail holds more than ADMIN_LARGE_TABLE_ROWS records (once per
        request)."""
        key = f"_memories_large_{self.opts.model_name}"
        found = getattr(request, key, None)
        if found is None:
            rows = self.model._default_manager.all()
            found = holds_more_than(rows, memories_settings.ADMIN_LARGE_TABLE_ROWS)
            setattr(request, key, found)
        return bool(found)

    def get_changelist(self, request: HttpRequest, **kwargs: Any) -> type[AuditChangeList]:
        return AuditChangeList

    @admin.display(description=_("actor"), ordering="actor")
    def actor_link(self, obj: MemoryDeletion | MemoryExport) -> SafeString:
        return format_html(
            '<a href="?{}" title="{}">{}</a>',
            urlencode({ActorFilter.parameter_name: obj.actor}),
            gettext("This actor's records"),
            obj.actor,
        )

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        # As the memory list: the width of the screen for the records.
        context = {"is_nav_sidebar_enabled": False, **(extra_context or {})}
        return super().changelist_view(request, context)

    def get_urls(self) -> list[URLPattern]:
        return time_limited_urls(self, super().get_urls())

    @admin.display(description=_("where"))
    def where(self, obj: MemoryDeletion | MemoryExport) -> SafeString:
        return lines(obj.db_id, obj.table_name)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(MemoryDeletion)
class MemoryDeletionAdmin(AuditAdmin):
    """The audit trail: readable by staff, never changed from here."""

    list_display = ["deleted", "actor_link", "channel", "where", "owners", "count", "ids"]
    list_filter = ["channel", DatabaseFilter, ActorFilter]
    search_fields = ["memory_ids", "user_ids"]
    search_help_text = _("Search by memory_id or user_id.")
    date_hierarchy = "deleted_at"
    # The detail page shows the time as the list does (stamp), not the bare field.
    fields = ["deleted", "actor", "channel", "db_id", "table_name", "memory_ids", "user_ids"]
    fields += ["count"]
    readonly_fields = ["deleted"]

    @admin.display(description=_("deleted at"), ordering="deleted_at")
    def deleted(self, obj: MemoryDeletion) -> SafeString | str:
        return stamp(obj.deleted_at)

    @admin.display(description=_("owners"))
    def owners(self, obj: MemoryDeletion) -> SafeString:
        return first_of(obj.user_ids, shown=2)

    @admin.display(description=_("memory ids"))
    def ids(self, obj: MemoryDeletion) -> SafeString:
        # The first few, shortened; the detail page lists them all.
        return first_of([f"{memory_id[:SHORT_ID]}…" for memory_id in obj.memory_ids], shown=2)


@admin.register(MemoryExport)
class MemoryExportAdmin(AuditAdmin):
    """Who exported whose memories: readable by staff, never changed from here."""

    list_display = ["exported", "actor_link", "channel", "owner", "where", "count", "finished"]
    list_filter = ["channel", DatabaseFilter, ActorFilter, "finished"]
    search_fields = ["user_id", "actor"]
    search_help_text = _("Search by user_id or actor.")
    date_hierarchy = "exported_at"
    fields = ["exported", "actor", "channel", "db_id", "table_name", "user_id", "count"]
    fields += ["finished"]
    readonly_fields = ["exported"]

    @admin.display(description=_("exported at"), ordering="exported_at")
    def exported(self, obj: MemoryExport) -> SafeString | str:
        return stamp(obj.exported_at)

    @admin.display(description=_("owner"), ordering="user_id")
    def owner(self, obj: MemoryExport) -> SafeString:
        return lines(obj.user_id or gettext("everyone"))
