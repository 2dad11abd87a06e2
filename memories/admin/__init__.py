"""Django admin for memories on every configured database and table (the audit trail's is in
memories.admin.audit).

The database and table come from the `target` query parameter (kept by the changelist's
filters and in links to detail pages); every read and write goes through selectors and
services on that target, never through the admin's default database.
"""

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.admin.utils import unquote
from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.template.response import TemplateResponse
from django.urls import URLPattern, path
from django.utils.html import format_html_join
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from memories.admin.audit import MemoryDeletionAdmin, MemoryExportAdmin
from memories.admin.changelists import LargeTableAdminMixin, is_large_table
from memories.admin.columns import clamped, epoch_stamp, lines, short_id
from memories.admin.filters import AgentFilter, TargetFilter, TeamFilter, TopicFilter
from memories.admin.forms import MemoryForm
from memories.admin.operations import delete_matching_view, export_users, retention_view
from memories.admin.targets import (
    actor_of,
    changelist_url,
    is_unreachable,
    mark_unreachable,
    target_from_request,
    unavailable_message,
)
from memories.admin.time_limits import time_limited_urls
from memories.exceptions import (
    DatabaseFailure,
    DeletionUnfinishedError,
    ExportsBusyError,
    MemoryNotFoundError,
)
from memories.models import AbstractMemory, Channel, Memory, memory_text
from memories.selectors import (
    MemoryFilter,
    deletion_plan,
    memory_get,
    memory_queryset,
    memory_search,
)
from memories.services import memories_delete, memory_delete, memory_update, user_memories_erase
from memories.targets import MemoryTarget, all_targets
from memories.transactions import read_committed
from memories.wording import in_english, memories_counted

CONFIRMATION_TEMPLATE = "memories/admin/confirm_deletion.html"

logger = logging.getLogger("memories.admin")


def _rendered(response: HttpResponse) -> HttpResponse:
    """The response with its template rendered now, so that a database failing while the
    rows are read fails here, where it can be reported."""
    if isinstance(response, TemplateResponse):
        response.render()
    return response


@admin.register(Memory)
class MemoryAdmin(LargeTableAdminMixin, admin.ModelAdmin):  # type: ignore[type-arg]
    change_list_template = "memories/admin/change_list.html"
    form = MemoryForm
    # Compact columns (memories.admin.columns): the text gets the room, ids are short (whole
    # on hover and on the detail page), dates take two short lines.
    list_display = [
        "short_memory_id",
        "text",
        "owner",
        "topic_list",
        "agent_and_team",
        "updated",
        "created",
    ]
    list_display_links = ["short_memory_id"]
    list_filter = [TargetFilter, AgentFilter, TeamFilter, TopicFilter]
    search_fields = ["memory_id", "user_id"]
    search_help_text = _("Search the memory text, user_id and memory_id.")
    ordering = ["-updated_at", "-memory_id"]
    list_per_page = 50
    # The whole table is counted by LargeTableChangeList, on small tables only.
    show_full_result_count = False
    actions = ["delete_selected_memories", "erase_selected_users", "export_selected_users"]
    readonly_fields = ["memory_id", "user_id", "agent_id", "team_id", "input", "feedback"]
    readonly_fields += ["created", "updated"]
    fields = ["memory_id", "memory", "topics", *readonly_fields[1:]]

    @admin.display(description=_("id"), ordering="memory_id")
    def short_memory_id(self, obj: AbstractMemory) -> SafeString:
        return short_id(obj.memory_id)

    @admin.display(description=_("memory"))
    def text(self, obj: AbstractMemory) -> SafeString:
        return clamped(memory_text(obj.memory))

    @admin.display(description=_("user_id"), ordering="user_id")
    def owner(self, obj: AbstractMemory) -> SafeString:
        return lines(obj.user_id)

    @admin.display(description=_("topics"))
    def topic_list(self, obj: AbstractMemory) -> SafeString:
        return clamped(", ".join(topic for topic in obj.topics or [] if isinstance(topic, str)))

    @admin.display(description=_("agent / team"))
    def agent_and_team(self, obj: AbstractMemory) -> SafeString:
        return lines(obj.agent_id, obj.team_id)

    @admin.display(description=_("updated"), ordering="updated_at")
    def updated(self, obj: AbstractMemory) -> SafeString | str:
        return epoch_stamp(obj.updated_at)

    @admin.display(description=_("created"), ordering="created_at")
    def created(self, obj: AbstractMemory) -> SafeString | str:
        return epoch_stamp(obj.created_at)

    def get_queryset(self, request: HttpRequest) -> QuerySet[Any]:
        memories = memory_queryset(target=target_from_request(request), user_id=None)
        # A page about a database that is down lists nothing, and asks it nothing.
        return memories.none() if is_unreachable(request) else memories

    def is_large_table(self, request: HttpRequest) -> bool:
        return is_large_table(request)

    def get_object(
        self, request: HttpRequest, object_id: str, from_field: str | None = None
    ) -> Any:
        target = target_from_request(request)
        try:
            return memory_get(target=target, memory_id=object_id, user_id=None)
        except MemoryNotFoundError:
            return None

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet[Any], search_term: str
    ) -> tuple[QuerySet[Any], bool]:
        return memory_search(queryset, search_term.strip()), False

    def changelist_view(self, request: HttpRequest, extra_context: Any = None) -> HttpResponse:
        context = {
            # The list needs the width of the screen; the app list is one click away (Home).
            "is_nav_sidebar_enabled": False,
            "memory_target": target_from_request(request),
            "filters_query": request.GET.urlencode(),
            "can_delete_matching": self.has_delete_permission(request),
            **(extra_context or {}),
        }
        try:
            # Rendered here: the rows are read while the template renders.
            return _rendered(super().changelist_view(request, context))
        except DatabaseFailure as error:
            response = self._unavailable(request, error)
        if request.method == "POST":
            return response  # an action that failed: back to the list, with the message
        # The list of a database that is down: its message, no rows, the other databases
        # one click away in the filter.
        mark_unreachable(request)
        return _rendered(super().changelist_view(request, context))

    def change_view(
        self, request: HttpRequest, object_id: str, form_url: str = "", extra_context: Any = None
    ) -> HttpResponse:
        return self._guarded(self._change_view, request, object_id, form_url, extra_context)

    def _change_view(self, request: HttpRequest, *args: Any) -> HttpResponse:
        if request.method != "POST":
            return super().change_view(request, *args)
        # Django's own transaction around a change, on the memory model's default alias,
        # becomes a savepoint in the app's: at READ COMMITTED, as every write of the app's.
        # Within _guarded: a failure is told apart once the transaction is rolled back.
        with read_committed(target_from_request(request).alias):
            return super().change_view(request, *args)

    def history_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        return self._guarded(super().history_view, request, object_id, extra_context)

    def _guarded(
        self, view: Callable[..., HttpResponse], request: HttpRequest, *args: Any
    ) -> HttpResponse:
        """The view's page, or when the database fails, the list with a message."""
        try:
            return _rendered(view(request, *args))
        except DatabaseFailure as error:
            return self._unavailable(request, error)

    def _unavailable(self, request: HttpRequest, error: DatabaseFailure) -> HttpResponse:
        """Say what failed (a database down, a table absent), log it, and go back to the
        list of the current database and table."""
        target = target_from_request(request)
        message = unavailable_message(target, error)
        logger.error("admin %s %s: %s", request.method, request.path, in_english(message))
        self.message_user(request, str(message), messages.ERROR)
        return HttpResponseRedirect(changelist_url(target))

    def get_urls(self) -> list[URLPattern]:
        wrap = self.admin_site.admin_view
        own = [
            path(
                "delete_matching/",
                wrap(partial(delete_matching_view, self)),
                name="memories_memory_delete_matching",
            ),
            path(
                "retention/",
                wrap(partial(retention_view, self)),
                name="memories_memory_retention",
            ),
        ]
        return time_limited_urls(self, own + super().get_urls())

    def get_actions(self, request: HttpRequest, action_location: Any = None) -> dict[str, Any]:
        # Django 6.1 asks for the actions of a place (the change list or form) and deprecates
        # overrides without the parameter; 5.2 has none, and so never passes one.
        located = {} if action_location is None else {"action_location": action_location}
        actions = super().get_actions(request, **located)
        # Django's own bulk delete bypasses the deletion service, its audit and signals.
        actions.pop("delete_selected", None)
        return actions

    def save_model(self, request: HttpRequest, obj: Any, form: Any, change: bool) -> None:
        memory_update(
            target=target_from_request(request),
            memory_id=obj.memory_id,
            user_id=None,
            changes={"memory": form.cleaned_data["memory"], "topics": form.cleaned_data["topics"]},
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # memories are written by agents (or POST /memories), not by staff

    def delete_view(
        self, request: HttpRequest, object_id: str, extra_context: Any = None
    ) -> HttpResponse:
        return self._guarded(self._delete_view, request, object_id)

    def _delete_view(self, request: HttpRequest, object_id: str) -> HttpResponse:
        target = target_from_request(request)
        memory = self.get_object(request, unquote(object_id))
        if memory is None:
            raise Http404(gettext("Memory not found"))
        if not self.has_delete_permission(request, memory):
            raise PermissionDenied
        if request.method == "POST" and request.POST.get("confirmed") == "yes":
            memory_delete(
                target=target,
                memory_id=memory.memory_id,
                user_id=None,
                actor=actor_of(request),
                channel=Channel.ADMIN,
            )
            self.message_user(
                request,
                gettext("Deleted memory %(memory_id)s from %(db_id)s.")
                % {"memory_id": memory.memory_id, "db_id": target.db_id},
            )
            return HttpResponseRedirect(changelist_url(target))
        return self._confirm(request, target, title=gettext("Delete memory"), memories=[memory])

    @admin.action(description=_("Delete selected memories permanently"), permissions=["delete"])
    def delete_selected_memories(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        target = target_from_request(request)
        memories = list(queryset)
        if request.POST.get("confirmed") != "yes":
            return self._confirm(
                request,
                target,
                title=gettext("Delete selected memories"),
                memories=memories,
                hidden=self._action_fields("delete_selected_memories", memories),
            )
        deletion = memories_delete(
            target=target,
            memory_ids=[memory.memory_id for memory in memories],
            user_id=None,
            actor=actor_of(request),
            channel=Channel.ADMIN,
        )
        deleted = memories_counted(deletion.count)
        self.message_user(
            request,
            gettext("Deleted %(count)s from %(db_id)s.")
            % {"count": deleted, "db_id": target.db_id},
        )
        return None

    @admin.action(
        description=_("Erase all memories of the selected users, everywhere"),
        permissions=["delete"],
    )
    def erase_selected_users(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> HttpResponse | None:
        user_ids = sorted({m.user_id for m in queryset if m.user_id is not None})
        targets = all_targets()
        if request.POST.get("confirmed") != "yes":
            filters = [MemoryFilter(user_id=user_id) for user_id in user_ids]
            plan = deletion_plan(targets=targets, memory_filters=filters)
            return self._confirm(
                request,
                target_from_request(request),
                title=gettext("Erase users' memories"),
                counts=plan,
                user_ids=user_ids,
                total=sum(item.count or 0 for item in plan),
                hidden=self._action_fields("erase_selected_users", list(queryset)),
            )
        for user_id in user_ids:
            try:
                totals = user_memories_erase(
                    user_id=user_id,
                    targets=targets,
                    actor=actor_of(request),
                    channel=Channel.ADMIN,
                )
            except DeletionUnfinishedError as error:
                message = gettext(
                    "The erasure of %(user_id)s did not finish: %(error)s. Run it again."
                ) % {"user_id": user_id, "error": error}
                self.message_user(request, message, messages.ERROR)
                continue
            message = gettext("Erased %(count)s of %(user_id)s.") % {
                "count": memories_counted(sum(totals.values())),
                "user_id": user_id,
            }
            self.message_user(request, message, messages.SUCCESS)
        return None

    @admin.action(description=_("Export all memories of the selected users (NDJSON)"))
    def export_selected_users(
        self, request: HttpRequest, queryset: QuerySet[Any]
    ) -> StreamingHttpResponse | None:
        user_ids = sorted({m.user_id for m in queryset if m.user_id is not None})
        try:
            return export_users(request, user_ids)
        except ExportsBusyError as error:
            message = gettext("The export did not start: %(error)s.") % {"error": error}
            self.message_user(request, message, messages.ERROR)
            return None

    def _action_fields(self, action: str, memories: list[Any]) -> list[tuple[str, str]]:
        selected = [(helpers.ACTION_CHECKBOX_NAME, m.memory_id) for m in memories]
        return [("action", action), *selected]

    def _confirm(
        self, request: HttpRequest, target: MemoryTarget, *, title: str, **context: Any
    ) -> TemplateResponse:
        memories = [
            {"memory_id": m.memory_id, "user_id": m.user_id, "text": memory_text(m.memory)}
            for m in context.pop("memories", [])
        ]
        return TemplateResponse(
            request,
            CONFIRMATION_TEMPLATE,
            {
                **self.admin_site.each_context(request),
                "opts": self.opts,
                "title": title,
                "target": target,
                "memories": memories,
                "hidden": context.pop("hidden", []),
                # Rendered here: the sentence that names them is one translated text.
                "erased_users": format_html_join(
                    ", ",
                    '<strong class="erased-user">{}</strong>',
                    ((user_id,) for user_id in context.get("user_ids", [])),
                ),
                "changelist_url": changelist_url(target),
                **context,
            },
        )


__all__ = ["MemoryAdmin", "MemoryDeletionAdmin", "MemoryExportAdmin"]
