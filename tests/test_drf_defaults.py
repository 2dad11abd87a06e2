"""Every view of the memory API and its documents names what it depends on, so that a host's
REST_FRAMEWORK defaults cannot change its contract (tests/e2e/test_host_defaults.py runs the
API's tests under such defaults)."""

from typing import Any

import pytest
from django.urls import URLPattern, URLResolver, include, path
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from memories.drf_defaults import MemoryJSONRenderer, drf_defaults
from memories.parsers import BoundedJSONParser

# The attributes APIView takes from the host's REST_FRAMEWORK defaults.
DEPENDENCIES = (
    "authentication_classes",
    "permission_classes",
    "throttle_classes",
    "renderer_classes",
    "parser_classes",
    "content_negotiation_class",
    "metadata_class",
    "versioning_class",
    "settings",
)


def views(patterns: list[Any]) -> set[type]:
    found: set[type] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            found |= views(pattern.url_patterns)
        elif isinstance(pattern, URLPattern):
            view = getattr(pattern.callback, "cls", None) or getattr(
                pattern.callback, "view_class", None
            )
            if isinstance(view, type) and issubclass(view, APIView):
                found.add(view)
    return found


API_VIEWS = sorted(
    views([path("", include("memories.urls")), path("", include("memories.docs_urls"))]),
    key=lambda view: view.__name__,
)


def declared_by(view: type, attribute: str) -> type:
    return next(klass for klass in view.__mro__ if attribute in vars(klass))


@pytest.mark.parametrize("view", API_VIEWS, ids=lambda view: view.__name__)
@pytest.mark.parametrize("attribute", DEPENDENCIES)
def test_every_view_states_what_it_depends_on(view, attribute):
    # APIView's values are the host's defaults; the app's or drf-spectacular's own are not.
    assert declared_by(view, attribute) is not APIView


def test_the_views_are_found():
    names = {view.__name__ for view in API_VIEWS}
    assert {"MemoryViewSet", "MemoryExportView", "MemoryAPIRedocView"} <= names


def test_drfs_defaults_are_drfs_whatever_the_host_says(settings):
    settings.REST_FRAMEWORK = {"URL_FORMAT_OVERRIDE": "fmt", "UNICODE_JSON": False}

    assert api_settings.URL_FORMAT_OVERRIDE == "fmt"  # the host's, for its own views
    assert drf_defaults.URL_FORMAT_OVERRIDE == "format"
    assert drf_defaults.UNICODE_JSON is True


def test_json_is_written_and_read_as_drf_does_by_default():
    assert (MemoryJSONRenderer.ensure_ascii, MemoryJSONRenderer.compact) == (False, True)
    assert MemoryJSONRenderer.strict is True
    assert BoundedJSONParser.strict is True
