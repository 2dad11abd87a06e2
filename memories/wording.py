"""How counts of memories read in messages: "1 memory", "2 memories"."""

from django.utils.translation import ngettext


def memories_counted(count: int) -> str:
    """`count` memories, the noun agreeing with the number."""
    return ngettext("%(count)d memory", "%(count)d memories", count) % {"count": count}
