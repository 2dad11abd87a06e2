"""The least a Django and DRF server does for a delete: the framework's floor, served by
granian as bin/serve serves the project (bench/run.py replays it beside the project).

One DRF view deletes the row by its id with one parameterized statement and answers 204:
Django's handler, URL resolving and request signals, DRF's request, view and response, and
psycopg on a persistent connection. Nothing else: no middleware, no token checked (DRF with
no authentication, permission or throttle classes), no owner test, no audit record, no log
line, no metrics. What the project spends beyond it is what its guarantees cost.
"""

import os
from typing import Any

import dj_database_url
import django
from django.conf import settings

settings.configure(
    DEBUG=False,
    ALLOWED_HOSTS=["*"],
    ROOT_URLCONF=__name__,
    MIDDLEWARE=[],
    INSTALLED_APPS=["rest_framework"],
    # Persistent, as the project's; no health check (the project's costs no round trip).
    DATABASES={"default": dj_database_url.parse(os.environ["DATABASE_URL"], conn_max_age=600)},
    USE_TZ=True,
    LOGGING_CONFIG=None,
    REST_FRAMEWORK={
        "DEFAULT_AUTHENTICATION_CLASSES": [],
        "DEFAULT_PERMISSION_CLASSES": [],
        "DEFAULT_THROTTLE_CLASSES": [],
        "UNAUTHENTICATED_USER": None,
        "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
        "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    },
)
django.setup()

from django.core.wsgi import get_wsgi_application  # noqa: E402
from django.db import connection  # noqa: E402
from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.urls import path  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.response import Response  # noqa: E402
from rest_framework.views import APIView  # noqa: E402

# What wrk fetches on a connection whose share of the plan is used up, and the readiness check.
FILLER = "/ready"


class MemoryDelete(APIView):
    def delete(self, request: Request, memory_id: str) -> Response:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM agno_memories WHERE memory_id = %s", [memory_id])
        return Response(status=204)


def ready(request: HttpRequest) -> HttpResponse:
    return HttpResponse(b"ok")


urlpatterns = [
    path("memories/<str:memory_id>", MemoryDelete.as_view()),
    path(FILLER.lstrip("/"), ready),
]

application: Any = get_wsgi_application()
