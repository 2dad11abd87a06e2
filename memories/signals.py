"""Signals sent after a deletion has been committed."""

from django.dispatch import Signal

# Sent once per deleted memory, after the deleting transaction commits.
# sender: the memory model class. Keyword arguments:
#   memory_id (str), user_id (str | None, the owner), db_id (str), table (str),
#   actor (str), channel (memories.models.Channel).
memory_deleted = Signal()
