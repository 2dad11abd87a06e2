"""How counts of memories read in messages ("1 memory", "2 memories"), and messages read in
operators' logs."""

from typing import Any

from django.utils import translation
from django.utils.functional import lazy
from django.utils.translation import ngettext


def memories_counted(count: int) -> str:
    """`count` memories, the noun agreeing with the number."""
    return ngettext("%(count)d memory", "%(count)d memories", count) % {"count": count}


def in_english(message: Any) -> str:
    """A message (a domain error, a lazy text) as a log line reads it: in English, the
    operators' language, whatever language the request it comes from speaks."""
    with translation.override("en"):
        return str(message)


def lazy_format(template: Any, **values: Any) -> str:
    """`template % values`, a lazy text rendered each time it is read, in the language active
    then (typed as the str it stands for): for a text composed before the language is known
    (a URL's view argument, a message that is logged and shown)."""
    return lazy(lambda: str(template) % {key: str(value) for key, value in values.items()}, str)()
