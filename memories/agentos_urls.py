"""The other Agno AgentOS routes that Agno's client calls (agents, teams, sessions, ...): each
answers 501 NOT_IMPLEMENTED in the API's error shape, so a client learns at once that this
server administers memories only. A host whose own URLs use none of these paths includes it
after memories.urls: `path("", include("memories.agentos_urls"))`."""

from django.urls import URLPattern, re_path
from django.utils.translation import gettext_lazy as _

from memories.bulk_views import AGENTOS_ROOTS
from memories.views import NotProvidedView
from memories.wording import lazy_format

urlpatterns: list[URLPattern] = [
    # The root and any path below it, as memories.urls catches paths below its own.
    re_path(
        rf"^{root}(?:/[\s\S]*)?\Z",
        NotProvidedView.as_view(
            what=lazy_format(_("Agno AgentOS %(what)s (%(root)s)"), what=what, root=root)
        ),
        name=f"agentos-{root}",
    )
    for root, what in AGENTOS_ROOTS.items()
]
