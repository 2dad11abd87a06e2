"""Django REST framework's settings as DRF ships them, for the memory API's own lookups.

A host's REST_FRAMEWORK sets the defaults of its own views; the memory API's contract (JSON,
bearer tokens, its error body, no versioning) must not move with them. Its views name every
class they use, and what DRF would still look up in the host's settings at request time
(the `format` parameter, the view's exception handler, the key of non-field errors) is read
from here instead.
"""

from typing import Any

from rest_framework.renderers import JSONRenderer
from rest_framework.settings import DEFAULTS, IMPORT_STRINGS, APISettings


class DRFDefaults(APISettings):
    """DRF's APISettings with no user settings: an empty dict given to APISettings means
    "read settings.REST_FRAMEWORK", the host's."""

    @property
    def user_settings(self) -> dict[str, Any]:
        return {}


drf_defaults = DRFDefaults(None, DEFAULTS, IMPORT_STRINGS)


class MemoryJSONRenderer(JSONRenderer):
    """DRF's JSON renderer with DRF's default output (UTF-8, compact, no NaN or Infinity),
    which its class takes from the host's UNICODE_JSON, COMPACT_JSON and STRICT_JSON."""

    ensure_ascii = not drf_defaults.UNICODE_JSON
    compact = drf_defaults.COMPACT_JSON
    strict = drf_defaults.STRICT_JSON
