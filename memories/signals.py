"""Signals sent after a deletion has been committed."""

from django.dispatch import Signal

# Sent once per deleted memory, after the deleting transaction commits.
# sender: the memory model class. Keyword arguments:
#   memory_id (str), user_id (str | None, the owner), db_id (str), table (str),
#   actor (str), channel (memories.models.Channel).
memory_deleted = Signal()

# Sent once per batch of a bulk delete, an erasure, a deletion by filter or a retention
# rule, after its transaction commits.
# sender: the memory model class. Keyword arguments:
#   memory_ids (list[str]), user_ids (list[str], the distinct owners), db_id (str),
#   table (str), actor (str), channel (memories.models.Channel).
memories_deleted = Signal()
