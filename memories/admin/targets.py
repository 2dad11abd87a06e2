"""Which database and table an admin page works on: the `target` query parameter."""

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, QueryDict
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from memories.exceptions import DatabaseFailure, MemoriesError, database_reason
from memories.statement_limits import statement_timeout_of
from memories.targets import MemoryTarget, has_table, resolve_target
from memories.wording import lazy_format

TARGET_PARAM = "target"
# Set on a request whose target's database failed: its pages list nothing and ask it nothing.
_UNREACHABLE = "_memories_target_unreachable"


def target_key(target: MemoryTarget) -> str:
    return f"{target.db_id}:{target.table}"


def target_from_request(request: HttpRequest) -> MemoryTarget:
    """The target named in the query string, in the changelist filters kept by detail pages,
    or the default one."""
    value = request.GET.get(TARGET_PARAM)
    if value is None:
        value = QueryDict(request.GET.get("_changelist_filters", "")).get(TARGET_PARAM)
    if not value:
        return resolve_target()
    db_id, _sep, table = value.partition(":")
    try:
        return resolve_target(db_id=db_id, table=table or None)
    except MemoriesError as error:
        raise Http404(str(error)) from error


def changelist_url(target: MemoryTarget) -> str:
    url = reverse("admin:memories_memory_changelist")
    return f"{url}?{urlencode({TARGET_PARAM: target_key(target)})}"


def actor_of(request: HttpRequest) -> str:
    return str(request.user.get_username())


def mark_unreachable(request: HttpRequest) -> None:
    setattr(request, _UNREACHABLE, True)


def is_unreachable(request: HttpRequest) -> bool:
    return bool(getattr(request, _UNREACHABLE, False))


def unavailable_message(target: MemoryTarget, error: DatabaseFailure) -> str:
    """What an operator is told when a page's queries failed: the database is down, the
    table is absent, or the database failed otherwise. Read in the language active when it
    is shown (in English in the log)."""
    where = {"db_id": target.db_id, "table": target.table}
    timed_out = statement_timeout_of(error)
    if timed_out is not None:
        return lazy_format(
            _(
                "Database %(db_id)s did not answer within %(seconds)s seconds, the limit of a "
                "statement: the page was stopped. Narrow it with a filter or a search."
            ),
            seconds=f"{timed_out.seconds:g}",
            **where,
        )
    try:
        present = has_table(target)
    except DatabaseFailure as failure:
        return lazy_format(
            _(
                "Database %(db_id)s cannot be reached (%(reason)s): its memories cannot be "
                "listed, changed or deleted until it answers. The other databases are in the "
                "filter."
            ),
            reason=database_reason(failure),
            **where,
        )
    if not present:
        return lazy_format(_("Table %(table)s does not exist in database %(db_id)s."), **where)
    return lazy_format(
        _("Database %(db_id)s failed: %(reason)s"), reason=database_reason(error), **where
    )
