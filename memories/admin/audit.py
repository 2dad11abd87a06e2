"""The audit trail in the admin: who deleted or exported whose memories, where, how many;
readable by staff, never added to, changed or deleted from here."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from memories.admin.columns import SHORT_ID, first_of, lines, stamp
from memories.admin.time_limits import time_limited_urls
from memories.models import MemoryDeletion, MemoryExport


class AuditAdmin(admin.ModelAdmin):  # type: ignore[type-arg]
    """An audit trail: readable by staff, never added to, changed or deleted from here."""

    change_list_template = "memories/admin/audit_change_list.html"
    list_per_page = 50

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

    list_display = ["deleted", "actor", "channel", "where", "owners", "count", "ids"]
    list_filter = ["channel", "db_id", "actor"]
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

    list_display = ["exported", "actor", "channel", "owner", "where", "count", "finished"]
    list_filter = ["channel", "db_id", "finished"]
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
