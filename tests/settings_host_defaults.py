"""The test settings in a host whose REST_FRAMEWORK defaults differ from DRF's in every way
the memory API must not follow, and whose requests each run in a transaction on every database
(ATOMIC_REQUESTS): tests/e2e/test_host_defaults.py runs API tests under them."""

from typing import Any

from rest_framework.negotiation import BaseContentNegotiation
from rest_framework.response import Response

from tests.settings import *  # noqa: F403

for _database in DATABASES.values():  # noqa: F405
    _database["ATOMIC_REQUESTS"] = True

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework_simplejwt.authentication.JWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAdminUser"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 1,
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.TemplateHTMLRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.FormParser"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "tests.settings_host_defaults.LastRendererNegotiation",
    "DEFAULT_VERSIONING_CLASS": "rest_framework.versioning.URLPathVersioning",
    "ALLOWED_VERSIONS": ["v1"],
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.AnonRateThrottle",
        "rest_framework.throttling.UserRateThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {"anon": "1/day", "user": "1/day"},
    "DEFAULT_METADATA_CLASS": None,
    "DEFAULT_SCHEMA_CLASS": "rest_framework.schemas.openapi.AutoSchema",
    "EXCEPTION_HANDLER": "tests.settings_host_defaults.host_exception_handler",
    "NON_FIELD_ERRORS_KEY": "all",
    "DATETIME_INPUT_FORMATS": ["%d.%m.%Y"],
    "URL_FORMAT_OVERRIDE": "fmt",
    "FORMAT_SUFFIX_KWARG": "fmt",
    "UNICODE_JSON": False,
    "COMPACT_JSON": False,
    "STRICT_JSON": False,
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}


class LastRendererNegotiation(BaseContentNegotiation):
    """The host's own negotiation: the last renderer, whatever was asked."""

    def select_parser(self, request: Any, parsers: Any) -> Any:
        return parsers[-1] if parsers else None

    def select_renderer(self, request: Any, renderers: Any, format_suffix: Any = None) -> Any:
        return renderers[-1], renderers[-1].media_type


def host_exception_handler(exc: Exception, context: Any) -> Response:
    """The host's error body, which its own API answers with."""
    return Response({"error": "host"}, status=418)
