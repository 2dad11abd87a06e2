"""The browser pages' middleware (sessions, users, messages), skipped on the memory API.

The API's requests carry a bearer token; its views read no session, no Django user and no
messages. The middleware classes Django's admin needs still ran on every API request:
loading nothing, but reading cookies, wrapping the request's user and session in lazy
objects and inspecting the response on the way out. Each class below is Django's own, which
skips its work on the API's paths and does it everywhere else (the admin, the documentation
pages). They stay subclasses, so Django's admin checks still find the middleware they
require.

Note: CSRF's middleware stays Django's own, on every path: Django's deployment check looks
for it by name, and on the API (whose views are csrf-exempt) it only reads the cookies.
"""

import re
from typing import Any

from django.contrib.auth.middleware import AuthenticationMiddleware
from django.contrib.messages.middleware import MessageMiddleware
from django.contrib.sessions.middleware import SessionMiddleware
from django.http import HttpRequest, HttpResponseBase

from memories.urls import API_ROOTS

# The paths memories.urls answers, mounted at the root as agentos/urls.py mounts it: a root,
# then nothing or a slash and anything (its catch-all route answers unknown paths below).
_API_PATH = re.compile(rf"/(?:{'|'.join(map(re.escape, API_ROOTS))})(?:/|\Z)")


def is_api_path(path_info: str) -> bool:
    return _API_PATH.match(path_info) is not None


class _BrowserOnly:
    """Django's middleware, passing the memory API's requests straight on."""

    get_response: Any

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if is_api_path(request.path_info):
            return self.get_response(request)  # type: ignore[no-any-return]
        return super().__call__(request)  # type: ignore[misc,no-any-return]


class BrowserSessionMiddleware(_BrowserOnly, SessionMiddleware):
    pass


class BrowserAuthenticationMiddleware(_BrowserOnly, AuthenticationMiddleware):
    pass


class BrowserMessageMiddleware(_BrowserOnly, MessageMiddleware):
    pass
