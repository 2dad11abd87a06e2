"""The admin pages of the app's models under MEMORIES["STATEMENT_TIMEOUT"]: each page's
statements, its template's included, run within the limit, and a statement the limit cut that
the page does not report itself becomes a message on the app's index, not a 500 page."""

import functools
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import URLPattern, reverse
from django.utils.translation import gettext

from memories.statement_limits import statement_time_limit, statement_timeout_of
from memories.transactions import in_own_transactions

if TYPE_CHECKING:
    from django.contrib.admin import ModelAdmin

logger = logging.getLogger("memories.admin")


def time_limited_urls(
    model_admin: "ModelAdmin[Any]", patterns: list[URLPattern]
) -> list[URLPattern]:
    """The model admin's URL patterns, each view under the statement limit, and in
    transactions of its own (memories/transactions.py)."""
    for pattern in patterns:
        pattern.callback = in_own_transactions(_time_limited(model_admin, pattern.callback))
    return patterns


def _time_limited(
    model_admin: "ModelAdmin[Any]", view: Callable[..., HttpResponse]
) -> Callable[..., HttpResponse]:
    # wraps() keeps what the admin set on the view (csrf_exempt and the like).
    @functools.wraps(view)
    def limited(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        with statement_time_limit():
            try:
                response = view(request, *args, **kwargs)
                if isinstance(response, TemplateResponse):
                    response.render()  # a list's rows are read while its template renders
                return response
            except DatabaseError as error:
                # Told apart within the block, whose limit it is.
                timed_out = statement_timeout_of(error)
                if timed_out is None:
                    raise
        message = gettext("%(explanation)s: the page was stopped. Try a narrower one.") % {
            "explanation": timed_out.explanation
        }
        logger.error("admin %s %s: %s", request.method, request.path, timed_out)
        model_admin.message_user(request, message, messages.ERROR)
        app_index = reverse("admin:app_list", kwargs={"app_label": model_admin.opts.app_label})
        return HttpResponseRedirect(app_index)

    return limited
