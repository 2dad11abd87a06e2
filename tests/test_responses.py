"""memories/responses.py: a deletion's 204 built directly answers exactly what DRF's
Response(status=204), rendered through the negotiated renderer, answers, through the host
project's whole middleware stack, and deletes the same rows."""

import importlib
from contextlib import AbstractContextManager
from typing import Any
from unittest import mock

import pytest
from rest_framework.response import Response

from memories import views
from memories.models import MemoryDeletion
from tests.factories import memory_create
from tests.test_views.conftest import rows

pytestmark = pytest.mark.django_db(databases="__all__")

REQUEST_ID = "responses-test"


@pytest.fixture(autouse=True)
def project_middleware(settings):
    """The agentos project's middleware, each of which may add a header to the answer."""
    settings.MIDDLEWARE = importlib.import_module("agentos.settings").MIDDLEWARE


def answer(response) -> tuple[int, dict[str, str], list[str], bytes]:
    cookies = sorted(cookie.output() for cookie in response.cookies.values())
    return response.status_code, dict(response.headers), cookies, response.content


def drf_rendered() -> AbstractContextManager[Any]:
    """The plain way: the view answers DRF's Response(status=204)."""
    return mock.patch.object(views, "no_content", lambda: Response(status=204))


@pytest.mark.parametrize(
    "accept",
    [None, "application/json", "*/*", "text/html, application/json;q=0.9"],
)
def test_one_deletion_answers_as_drf_would(as_user, accept):
    for memory_id in ("direct", "rendered", "kept"):
        memory_create(memory_id=memory_id, user_id="alice")
    client = as_user("alice")
    headers = {"HTTP_X_REQUEST_ID": REQUEST_ID}
    if accept:
        headers["HTTP_ACCEPT"] = accept

    direct = client.delete("/memories/direct", **headers)
    with drf_rendered():
        rendered = client.delete("/memories/rendered", **headers)

    assert answer(direct) == answer(rendered)
    assert direct.status_code == 204
    assert direct.content == b""
    assert "Content-Type" not in direct.headers
    assert direct.headers["X-Request-ID"] == REQUEST_ID
    assert direct.headers["X-Frame-Options"] == "DENY"
    assert direct.headers["X-Content-Type-Options"] == "nosniff"
    assert rows()[("default", "agno_memories")] == {"kept"}
    recorded = list(MemoryDeletion.objects.order_by("pk").values_list("memory_ids", flat=True))
    assert recorded == [["direct"], ["rendered"]]


def test_a_bulk_deletion_answers_as_drf_would(as_user):
    for memory_id in ("d1", "d2", "r1", "r2", "kept"):
        memory_create(memory_id=memory_id, user_id="alice")
    client = as_user("alice")

    direct = client.delete(
        "/memories", {"memory_ids": ["d1", "d2"]}, format="json", HTTP_X_REQUEST_ID=REQUEST_ID
    )
    with drf_rendered():
        rendered = client.delete(
            "/memories", {"memory_ids": ["r1", "r2"]}, format="json", HTTP_X_REQUEST_ID=REQUEST_ID
        )

    assert answer(direct) == answer(rendered)
    assert direct.status_code == 204
    assert direct.content == b""
    assert rows()[("default", "agno_memories")] == {"kept"}


def test_the_plain_way_is_what_is_compared(as_user):
    """The patch reaches the view: under it the answer is DRF's template response."""
    memory_create(memory_id="m1", user_id="alice")
    with drf_rendered():
        response = as_user("alice").delete("/memories/m1")
    assert isinstance(response, Response)
    assert response.status_code == 204
