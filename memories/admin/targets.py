"""Which database and table an admin page works on: the `target` query parameter."""

from urllib.parse import urlencode

from django.http import Http404, HttpRequest, QueryDict
from django.urls import reverse

from memories.exceptions import MemoriesError
from memories.targets import MemoryTarget, resolve_target

TARGET_PARAM = "target"


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
    db_id, _, table = value.partition(":")
    try:
        return resolve_target(db_id=db_id, table=table or None)
    except MemoriesError as error:
        raise Http404(str(error)) from error


def changelist_url(target: MemoryTarget) -> str:
    url = reverse("admin:memories_memory_changelist")
    return f"{url}?{urlencode({TARGET_PARAM: target_key(target)})}"


def actor_of(request: HttpRequest) -> str:
    return str(request.user.get_username())
