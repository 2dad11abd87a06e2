"""Content negotiation that settles the usual request without parsing its Accept header."""

from collections.abc import Iterable
from typing import Any

from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request

from memories.drf_defaults import drf_defaults

# What clients send when any representation will do (curl, httpx, requests), or nothing.
_ANY_MEDIA_TYPE = frozenset({None, "*/*"})


class AnyMediaTypeNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, minus its work when the client takes whatever comes first.

    The API renders JSON only. A request that asks for any media type, or exactly the first
    renderer's, and for no format gets the first renderer, as DRF's own negotiation would
    decide after parsing and ranking the header; any other request is negotiated by DRF
    (406 included).
    """

    # The `format` query parameter as DRF names it, whatever the host's URL_FORMAT_OVERRIDE.
    settings = drf_defaults  # type: ignore[assignment]

    def select_renderer(
        self, request: Request, renderers: Iterable[BaseRenderer], format_suffix: Any = None
    ) -> tuple[BaseRenderer, str]:
        renderers = list(renderers)
        accept = request.META.get("HTTP_ACCEPT")
        if (
            renderers
            and not format_suffix
            and (accept in _ANY_MEDIA_TYPE or accept == renderers[0].media_type)
            and self.settings.URL_FORMAT_OVERRIDE not in request.query_params
        ):
            return renderers[0], renderers[0].media_type
        return super().select_renderer(request, renderers, format_suffix)  # type: ignore[no-any-return]
