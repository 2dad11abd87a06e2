"""Django's WSGI and ASGI handlers, with a request that any charset leaves whole.

Setting `HttpRequest.encoding` (Django does it from the Content-Type's charset while it builds
the request) drops the query string parsed with the previous encoding, but asks
`hasattr(self, "GET")` to know whether there is one, which parses it: with a charset Python
knows that is no text encoding (`charset=zlib_codec`, base64, rot13...) and a query string,
that parse raises LookupError inside the request's constructor, before any middleware or
view, on every route (the server answers a bare 500). Here only a query string already parsed
is dropped; the memory API then refuses such a charset with a 415 before it reads the query
string (memories.parsers.refuse_non_text_charset), and a page that reads it fails in its own
view, where the error handlers answer.
"""

from typing import Any

import django
from django.core.handlers.asgi import ASGIHandler, ASGIRequest
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest


class _EncodingParsesNothing:
    """HttpRequest.encoding, whose setter parses nothing."""

    _encoding: str | None
    __dict__: dict[str, Any]

    @property
    def encoding(self) -> str | None:
        return self._encoding

    @encoding.setter
    def encoding(self, value: str | None) -> None:
        self._encoding = value
        self.__dict__.pop("GET", None)  # a cached_property: parsed again with the new one
        self.__dict__.pop("_post", None)


class ProjectWSGIRequest(_EncodingParsesNothing, WSGIRequest):
    pass


class ProjectASGIRequest(_EncodingParsesNothing, ASGIRequest):
    pass


class ProjectWSGIHandler(WSGIHandler):
    request_class = ProjectWSGIRequest


class ProjectASGIHandler(ASGIHandler):
    request_class = ProjectASGIRequest


def wsgi_application() -> ProjectWSGIHandler:
    """What django.core.wsgi.get_wsgi_application returns, with the request above."""
    django.setup(set_prefix=False)
    return ProjectWSGIHandler()


def asgi_application() -> ProjectASGIHandler:
    """What django.core.asgi.get_asgi_application returns, with the request above."""
    django.setup(set_prefix=False)
    return ProjectASGIHandler()
