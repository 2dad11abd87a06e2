"""Compact list columns, so that the admin's lists fit an ordinary screen (1280x800): short
ids with the full id on hover, dates on two short lines, text that wraps to a few lines,
values cut where their column ends."""

import datetime
from collections.abc import Sequence

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.text import Truncator
from django.utils.translation import gettext

# Characters of an id shown in a list; the detail page shows it whole.
SHORT_ID = 8
# Characters of text sent to a list cell, which shows 3 lines of them (the style's clamp).
LIST_TEXT = 300


def short_id(value: str) -> SafeString:
    """The id's first characters, the whole id on hover."""
    shown = value if len(value) <= SHORT_ID + 1 else value[:SHORT_ID] + "…"
    return format_html('<span class="memories-id" title="{}">{}</span>', value, shown)


def clamped(text: str) -> SafeString:
    """Text that wraps over a few lines at most, the rest cut."""
    shown = Truncator(text).chars(LIST_TEXT)
    return format_html('<span class="memories-clamp">{}</span>', shown)


def stamp(moment: datetime.datetime | None) -> SafeString | str:
    """A date over its time, two short lines, in the current time zone as the admin shows
    every time (TIME_ZONE unless another is activated), and the zone named: lists and detail
    pages show the same."""
    if moment is None:
        return "-"
    if timezone.is_naive(moment):
        # A host with USE_TZ = False: Django keeps times as TIME_ZONE's wall clock.
        moment = timezone.make_aware(moment, timezone.get_default_timezone())
    local = timezone.localtime(moment)
    return format_html(
        '<time datetime="{}">{}<br><span class="memories-time">{} {}</span></time>',
        moment.astimezone(datetime.UTC).isoformat(),
        local.strftime("%Y-%m-%d"),
        local.strftime("%H:%M"),
        local.tzname() or "",
    )


def epoch_stamp(value: int | None) -> SafeString | str:
    """stamp() of epoch seconds, as memory tables keep them."""
    return stamp(None if value is None else datetime.datetime.fromtimestamp(value, datetime.UTC))


def lines(*values: str | None, more: int = 0) -> SafeString:
    """Values one per line, each cut with an ellipsis where the column ends (whole on
    hover), and how many more there are."""
    spans = [
        format_html('<span class="memories-line" title="{}">{}</span>', value, value)
        for value in values
        if value
    ]
    if more > 0:
        text = gettext("+%(count)d more") % {"count": more}
        spans.append(format_html('<span class="memories-more">{}</span>', text))
    return format_html("{}", SafeString("".join(spans)) if spans else "-")


def first_of(values: Sequence[str], *, shown: int) -> SafeString:
    """The first values, one per line, and how many more there are."""
    return lines(*values[:shown], more=len(values) - shown)
