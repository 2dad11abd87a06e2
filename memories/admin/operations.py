"""Admin pages over many memories at once: deletion by the changelist's filters, the
retention rules and what their next run would delete, and the users' export."""

import time
from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from memories.admin.targets import actor_of, changelist_url, target_from_request
from memories.exceptions import ErasureIncompleteError
from memories.exports import NDJSON, export_lines
from memories.models import Channel
from memories.retention import retention_rules
from memories.selectors import MemoryFilter, deletion_plan
from memories.services import memories_delete_matching, memories_export
from memories.targets import all_targets, has_table
from memories.wording import memories_counted

DELETE_MATCHING_TEMPLATE = "memories/admin/delete_matching.html"
RETENTION_TEMPLATE = "memories/admin/retention.html"


def changelist_filter(request: HttpRequest) -> MemoryFilter:
    """The deletion filter the changelist's own filters (agent, team, topic) describe."""
    topic = request.GET.get("topic")
    return MemoryFilter(
        agent_id=request.GET.get("agent_id") or None,
        team_id=request.GET.get("team_id") or None,
        topics=(topic,) if topic else (),
    )


def delete_matching_view(model_admin: "ModelAdmin[Any]", request: HttpRequest) -> HttpResponse:
    """Confirm, then delete every memory of the changelist's table matching its filters."""
    if not model_admin.has_delete_permission(request):
        raise PermissionDenied
    target = target_from_request(request)
    memory_filter = changelist_filter(request)
    back = HttpResponseRedirect(
        f"{reverse('admin:memories_memory_changelist')}?{request.GET.urlencode()}"
    )
    if request.GET.get("q"):
        model_admin.message_user(
            request,
            "A search is not a deletion filter: clear the search, keep the filters.",
            messages.ERROR,
        )
        return back
    if memory_filter.is_empty:
        model_admin.message_user(
            request,
            "Choose an agent, a team or a topic first: there is no 'delete everything'.",
            messages.ERROR,
        )
        return back
    if request.method == "POST" and request.POST.get("confirmed") == "yes":
        try:
            deleted = memories_delete_matching(
                memory_filter=memory_filter,
                targets=[target],
                actor=actor_of(request),
                channel=Channel.ADMIN,
            )
        except ErasureIncompleteError as error:
            message = f"The deletion did not finish: {error}. Run it again."
            model_admin.message_user(request, message, messages.ERROR)
            return back
        count = sum(deleted.values())
        model_admin.message_user(
            request, f"Deleted {memories_counted(count)} from {target.db_id}.", messages.SUCCESS
        )
        return HttpResponseRedirect(changelist_url(target))
    (planned,) = deletion_plan(targets=[target], memory_filters=[memory_filter])
    if not planned.is_reachable:
        message = f"Database {target.db_id} cannot be reached: nothing can be deleted from it now."
        model_admin.message_user(request, message, messages.ERROR)
        return back
    return TemplateResponse(
        request,
        DELETE_MATCHING_TEMPLATE,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": "Delete memories matching the filters",
            "target": target,
            "memory_filter": memory_filter,
            "count": planned.count,
            "changelist_url": changelist_url(target),
        },
    )


def retention_view(model_admin: "ModelAdmin[Any]", request: HttpRequest) -> HttpResponse:
    """The retention rules, and how many memories each would delete if it ran now."""
    if not model_admin.has_view_permission(request):
        raise PermissionDenied
    now = int(time.time())
    rules = [
        {
            "rule": rule,
            "plan": deletion_plan(
                targets=rule.targets(), memory_filters=[rule.memory_filter(now)]
            ),
        }
        for rule in retention_rules()
    ]
    return TemplateResponse(
        request,
        RETENTION_TEMPLATE,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": "Retention rules",
            "rules": rules,
            "changelist_url": changelist_url(target_from_request(request)),
        },
    )


def export_users(request: HttpRequest, user_ids: list[str]) -> StreamingHttpResponse:
    """Every memory of these users in every table, as an NDJSON download."""
    targets = [target for target in all_targets() if has_table(target)]

    def rows() -> Any:
        for user_id in user_ids:
            yield from memories_export(
                targets=targets, user_id=user_id, actor=actor_of(request), channel=Channel.ADMIN
            )

    response = StreamingHttpResponse(export_lines(rows(), with_target=True), content_type=NDJSON)
    response["Content-Disposition"] = 'attachment; filename="memories.ndjson"'
    return response
