"""The renderer choice of the API's negotiation is DRF's own for every request."""

import pytest
from rest_framework.exceptions import NotAcceptable
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BrowsableAPIRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.test import APIRequestFactory

from memories.negotiation import AnyMediaTypeNegotiation

ACCEPT_HEADERS = [
    None,
    "",
    "*/*",
    "application/json",
    "application/*",
    "application/json; indent=4",
    "application/json;q=0",
    "text/html",
    "text/html, */*;q=0.1",
    "application/xml, application/json;q=0.5",
    "*/*; q=0.5",
    "garbage",
]
RENDERER_SETS = [[JSONRenderer()], [JSONRenderer(), BrowsableAPIRenderer()]]


def request(accept: str | None, query: str = "") -> Request:
    headers = {} if accept is None else {"HTTP_ACCEPT": accept}
    return Request(APIRequestFactory().delete(f"/memories/m1{query}", **headers))


def choice(negotiation, renderers, req: Request, format_suffix: str | None):
    """(renderer class, media type) chosen, or the exception raised."""
    try:
        renderer, media_type = negotiation.select_renderer(req, renderers, format_suffix)
    except Exception as error:  # noqa: BLE001 - the outcome compared, whatever it is
        return type(error), str(error)
    return type(renderer), media_type


@pytest.mark.parametrize("accept", ACCEPT_HEADERS)
@pytest.mark.parametrize("renderers", RENDERER_SETS, ids=["json", "json+browsable"])
@pytest.mark.parametrize("query", ["", "?format=json", "?format=api", "?format=xml"])
@pytest.mark.parametrize("format_suffix", [None, "json", "xml"])
def test_same_choice_as_drf(accept, renderers, query, format_suffix):
    req = request(accept, query)

    ours = choice(AnyMediaTypeNegotiation(), renderers, req, format_suffix)

    assert ours == choice(DefaultContentNegotiation(), renderers, req, format_suffix)


@pytest.mark.parametrize("accept", [None, "*/*", "application/json"])
def test_the_usual_request_is_settled_without_parsing_the_header(accept, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the Accept header was parsed")

    monkeypatch.setattr(DefaultContentNegotiation, "get_accept_list", refuse)

    renderer, media_type = AnyMediaTypeNegotiation().select_renderer(
        request(accept), [JSONRenderer()]
    )

    assert (type(renderer), media_type) == (JSONRenderer, "application/json")


def test_a_header_json_cannot_satisfy_is_refused():
    with pytest.raises(NotAcceptable):
        AnyMediaTypeNegotiation().select_renderer(request("text/html"), [JSONRenderer()])
