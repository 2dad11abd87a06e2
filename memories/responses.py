"""A body-less 204 No Content, built as what DRF's Response(status=204) ends up as.

DRF's Response is a template response: the view builds it with a renderer context, and
Django renders it after the view through the negotiated renderer, which for no data gives an
empty body and takes the Content-Type header off again. For a deletion's answer that is
about 20 us of a request's CPU spent on nothing (BENCHMARKS.md, "What this round changed").
`no_content()` is the result of that rendering built directly: status 204, no body, no
Content-Type. The headers the view adds afterwards (DRF's `finalize_response`: Allow, Vary)
and the middleware's are added to it as to any response; tests/test_responses.py holds the
two answers to each other, header by header.
"""

from django.http import HttpResponse


def no_content() -> HttpResponse:
    response = HttpResponse(status=204)
    # Django gives every HttpResponse a default Content-Type; a 204 carries no content.
    del response.headers["Content-Type"]
    return response
