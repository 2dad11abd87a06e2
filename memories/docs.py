"""The memory API's OpenAPI document and its viewers, the same in any host project: only the
memory API's operations, made with the app's schema class and settings whatever the host's
REST_FRAMEWORK and SPECTACULAR_SETTINGS say, and Swagger UI and Redoc served from
drf-spectacular-sidecar's static files, so the pages load nothing from another host."""

import threading
from collections.abc import Sequence
from importlib.metadata import PackageNotFoundError, version
from typing import TYPE_CHECKING, Any

from django.templatetags.static import static
from drf_spectacular.generators import EndpointEnumerator, SchemaGenerator
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerView
from rest_framework.authentication import BaseAuthentication
from rest_framework.metadata import SimpleMetadata
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.parsers import BaseParser
from rest_framework.permissions import AllowAny
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from memories.drf_defaults import drf_defaults
from memories.transactions import in_own_transactions
from memories.views import MemoryAPIView

if TYPE_CHECKING:
    from rest_framework.views import AsView, GenericView

try:
    _VERSION = version("agentos-memories")
except PackageNotFoundError:  # run from a checkout that was never installed
    _VERSION = "unknown"

TITLE = "AgentOS Memories"

# What the document says of itself; OpenAPI 3.1, which the document needs (null as a type,
# a body on the bulk DELETE).
DOCUMENT_SETTINGS = {
    "TITLE": TITLE,
    "DESCRIPTION": "Inspect and permanently delete the long-term memories of AI agents.",
    "VERSION": _VERSION,
    "OAS_VERSION": "3.1.0",
}
SCHEMA_URL_NAME = "memories_docs:openapi-json"


class MemoryAPIEndpoints(EndpointEnumerator):
    """The memory API's routes wherever the host mounts them; none of the host's own."""

    def should_include_endpoint(self, path: str, callback: Any) -> bool:
        view_class = getattr(callback, "cls", None)
        return (
            isinstance(view_class, type)
            and issubclass(view_class, MemoryAPIView)
            and bool(super().should_include_endpoint(path, callback))
        )


class PublicDocsView(APIView):
    """What the documentation views depend on, stated, so that a host's REST_FRAMEWORK defaults
    (authentication, permissions, throttles, versioning) cannot hide the public pages."""

    authentication_classes: Sequence[type[BaseAuthentication]] = []
    permission_classes: Sequence[Any] = [AllowAny]
    throttle_classes: Sequence[type[BaseThrottle]] = []
    versioning_class = None
    content_negotiation_class = DefaultContentNegotiation
    parser_classes: Sequence[type[BaseParser]] = []  # GET only
    metadata_class = SimpleMetadata
    settings = drf_defaults

    @classmethod
    def as_view(cls, **initkwargs: Any) -> "AsView[GenericView]":
        # No statement to run: no transaction of a host's ATOMIC_REQUESTS to open either.
        return in_own_transactions(super().as_view(**initkwargs))


class MemoryAPISchemaGenerator(SchemaGenerator):
    endpoint_inspector_cls = MemoryAPIEndpoints


class MemoryAPISchemaView(PublicDocsView, SpectacularAPIView):
    # The documentation views document nothing themselves: left out of any generator's walk,
    # drf-spectacular's deploy check included, which would otherwise describe them with the
    # host's DEFAULT_SCHEMA_CLASS (DRF's own, in a host that never configured spectacular).
    schema = None
    generator_class = MemoryAPISchemaGenerator
    custom_settings = DOCUMENT_SETTINGS
    urlconf = None  # the host's own: paths carry the prefix it mounts the API under
    serve_public = True

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        with _one_document_at_a_time:
            response: Response = super().get(request, *args, **kwargs)  # type: ignore[no-untyped-call]
        return response


# drf-spectacular applies custom_settings by patching its process-wide settings for the
# request, saving the values it replaces in one shared dict: two overlapping requests would
# save each other's patch as the original and leave the host's settings changed for good.
# (A host's own document generated during ours still sees our patch: drf-spectacular reads
# only its global settings.)
_one_document_at_a_time = threading.Lock()


def _sidecar(path: str) -> str:
    return static(f"drf_spectacular_sidecar/{path}")


# The viewers' assets always come from the sidecar, whatever SWAGGER_UI_DIST, REDOC_DIST or
# SWAGGER_UI_FAVICON_HREF the host set: the views ask these methods for each asset's URL.
# drf-spectacular's own way would patch its process-wide settings for the request, which a
# concurrent request on another thread would see.


class MemoryAPISwaggerView(PublicDocsView, SpectacularSwaggerView):
    schema = None
    title = TITLE
    url_name = SCHEMA_URL_NAME

    @staticmethod
    def _swagger_ui_resource(filename: str) -> str:
        return _sidecar(f"swagger-ui-dist/{filename}")

    @staticmethod
    def _swagger_ui_favicon() -> str:
        return _sidecar("swagger-ui-dist/favicon-32x32.png")


class MemoryAPIRedocView(PublicDocsView, SpectacularRedocView):
    schema = None
    title = TITLE
    url_name = SCHEMA_URL_NAME
    template_name = "memories/docs/redoc.html"

    @staticmethod
    def _redoc_standalone() -> str:
        return _sidecar("redoc/bundles/redoc.standalone.js")
