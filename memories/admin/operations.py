"""Admin pages over many memories at once: deletion by the changelist's filters, the
retention rules and what their next run would delete, and the users' export."""

import time
from collections.abc import Iterator
from typing import Any

from django.contrib import messages
from django.contrib.admin import ModelAdmin
from django.contrib.admin.options import IncorrectLookupParameters
from django.contrib.admin.views.main import ORDER_VAR, PAGE_VAR, SEARCH_VAR
from django.core.exceptions import PermissionDenied, SuspiciousOperation
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, StreamingHttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext

from memories.admin.targets import (
    TARGET_PARAM,
    actor_of,
    changelist_url,
    target_from_request,
    unavailable_message,
)
from memories.exceptions import DatabaseFailure, DeletionUnfinishedError
from memories.export_streams import NDJSON, BoundedExport, export_lines, streamed
from memories.models import Channel
from memories.retention import retention_rules
from memories.selectors import deletion_plan
from memories.services import (
    ExportLine,
    ExportOutcome,
    memories_delete_listed,
    memories_export,
)
from memories.statement_limits import statement_timeout_of
from memories.targets import MemoryTarget, all_targets
from memories.wording import memories_counted

DELETE_MATCHING_TEMPLATE = "memories/admin/delete_matching.html"
RETENTION_TEMPLATE = "memories/admin/retention.html"
# Query parameters that choose the table, the order or the page of the list: every other one
# is a lookup that narrows what it shows, listed on the confirmation.
_NOT_LOOKUPS = {TARGET_PARAM, ORDER_VAR, PAGE_VAR}


def listed_memories(
    model_admin: "ModelAdmin[Any]", request: HttpRequest
) -> tuple["QuerySet[Any]", int, int]:
    """The memories the changelist shows for this query string (every page of it), how many,
    and how many the table holds: built by the changelist itself, from every lookup it
    honours, so that a deletion can never take other rows than the list shows. Raises what
    the changelist raises for a query it cannot show (IncorrectLookupParameters,
    SuspiciousOperation)."""
    changelist = model_admin.get_changelist_instance(request)
    # Counted here: the list itself may show an estimate (memories.admin.changelists).
    listed = changelist.queryset
    return listed, listed.count(), changelist.root_queryset.count()


def delete_matching_view(model_admin: "ModelAdmin[Any]", request: HttpRequest) -> HttpResponse:
    """Confirm, then delete every memory of the changelist's table that its list shows for
    the same query string; or refuse a query the list cannot show, deleting nothing."""
    if not model_admin.has_delete_permission(request):
        raise PermissionDenied
    target = target_from_request(request)
    listed = _deletable_listed(model_admin, request, target)
    if isinstance(listed, str):
        return _refused(model_admin, request, listed)
    memories, count = listed
    if request.method != "POST" or request.POST.get("confirmed") != "yes":
        return _confirmation_page(model_admin, request, target, count)
    try:
        deleted = memories_delete_listed(
            target=target, memories=memories, actor=actor_of(request), channel=Channel.ADMIN
        )
    except DeletionUnfinishedError as error:
        return _refused(
            model_admin,
            request,
            gettext("The deletion did not finish: %(error)s. Run it again.") % {"error": error},
        )
    model_admin.message_user(
        request,
        gettext("Deleted %(count)s from %(db_id)s.")
        % {"count": memories_counted(deleted), "db_id": target.db_id},
        messages.SUCCESS,
    )
    return HttpResponseRedirect(changelist_url(target))


def _deletable_listed(
    model_admin: "ModelAdmin[Any]", request: HttpRequest, target: MemoryTarget
) -> tuple["QuerySet[Any]", int] | str:
    """The listed memories and how many, when the query is a deletion filter the list can
    show; otherwise why not."""
    if request.GET.get(SEARCH_VAR):
        return gettext("A search is not a deletion filter: clear the search, keep the filters.")
    try:
        memories, count, whole_table = listed_memories(model_admin, request)
    except (IncorrectLookupParameters, SuspiciousOperation) as error:
        return gettext("The list cannot show this query (%(error)s): nothing was deleted.") % {
            "error": error
        }
    except DatabaseFailure as error:
        if statement_timeout_of(error) is not None:
            return str(unavailable_message(target, error))
        return gettext(
            "Database %(db_id)s cannot be reached: nothing can be deleted from it now."
        ) % {"db_id": target.db_id}
    # A lookup that every row passes (`?created_at__gte=0`) is no filter either.
    if not memories.query.where or (count and count == whole_table):
        return gettext("Filter the list first: there is no 'delete everything'.")
    return memories, count


def _refused(model_admin: "ModelAdmin[Any]", request: HttpRequest, message: str) -> HttpResponse:
    """Back to the list, for the same query, with why nothing was deleted."""
    model_admin.message_user(request, message, messages.ERROR)
    return HttpResponseRedirect(
        f"{reverse('admin:memories_memory_changelist')}?{request.GET.urlencode()}"
    )


def _confirmation_page(
    model_admin: "ModelAdmin[Any]", request: HttpRequest, target: MemoryTarget, count: int
) -> HttpResponse:
    lookups = [(key, value) for key, value in request.GET.items() if key not in _NOT_LOOKUPS]
    return TemplateResponse(
        request,
        DELETE_MATCHING_TEMPLATE,
        {
            **model_admin.admin_site.each_context(request),
            "opts": model_admin.opts,
            "title": gettext("Delete memories matching the filters"),
            "target": target,
            "lookups": lookups,
            # Rendered here: the sentence that names them is one translated text.
            "lookups_html": format_html(
                '<span id="deletion-lookups">{}</span>',
                format_html_join(", ", "<code>{}={}</code>", lookups),
            ),
            "count": count,
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
            "title": gettext("Retention rules"),
            "rules": rules,
            "changelist_url": changelist_url(target_from_request(request)),
        },
    )


def export_users(request: HttpRequest, user_ids: list[str]) -> StreamingHttpResponse:
    """Every memory of these users in every table, as an NDJSON download."""
    targets = all_targets()

    # A database down (from the start or midway) ends the download with the
    # incomplete-export line naming it; the others are exported.
    outcome = ExportOutcome()

    def rows() -> Iterator[ExportLine]:
        for user_id in user_ids:
            yield from memories_export(
                targets=targets,
                user_id=user_id,
                actor=actor_of(request),
                channel=Channel.ADMIN,
                outcome=outcome,
            )

    lines = export_lines(rows(), with_target=True, outcome=outcome)
    response = StreamingHttpResponse(streamed(request, BoundedExport(lines)), content_type=NDJSON)
    response["Content-Disposition"] = 'attachment; filename="memories.ndjson"'
    return response
