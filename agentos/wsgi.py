"""WSGI entry point of the agentos host project (bin/serve: granian agentos.wsgi:application)."""

import os
from collections.abc import Callable
from typing import Any

from agentos.handlers import wsgi_application
from agentos.startup import refuse_unusable_configuration

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "agentos.settings")

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Any]

# What a server sets from every request itself: the request's value, whatever the process's.
_REQUEST_KEYS = frozenset(
    {
        "GATEWAY_INTERFACE",
        "PATH_INFO",
        "QUERY_STRING",
        "REMOTE_ADDR",
        "REQUEST_METHOD",
        "SCRIPT_NAME",
        "SERVER_NAME",
        "SERVER_PORT",
        "SERVER_PROTOCOL",
        "SERVER_SOFTWARE",
    }
)


def without_process_environment(app: WSGIApplication) -> WSGIApplication:
    """app, given each request's environ without the process's environment variables.

    granian starts every environ from a copy of os.environ: DATABASE_URL and the secret keys
    would reach request.META (and every error report), and a variable named like a header
    (HTTP_AUTHORIZATION, HTTP_X_FORWARDED_PROTO) would pass for one the client sent. A key
    that holds the process's value is dropped; a client header that happens to equal such a
    variable goes with it, which costs nothing a client may rely on.
    """
    process = [(name, value) for name, value in os.environ.items() if name not in _REQUEST_KEYS]

    def application(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        for name, value in process:
            if environ.get(name) == value:
                del environ[name]
        return app(environ, start_response)

    return application


application = without_process_environment(wsgi_application())
refuse_unusable_configuration()
