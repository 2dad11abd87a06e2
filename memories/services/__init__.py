"""Writes: creating, updating and deleting memories, with audit records and signals."""

from memories.services.deletion import delete_selection, memories_delete, memory_delete
from memories.services.erasure import (
    ERASE_BATCH_SIZE,
    ERASE_MAX_ROUNDS,
    ErasedBatch,
    memories_delete_listed,
    memories_delete_matching,
    user_memories_erase,
)
from memories.services.export import ExportOutcome, memories_export
from memories.services.writes import memory_create, memory_update

__all__ = [
    "ERASE_BATCH_SIZE",
    "ERASE_MAX_ROUNDS",
    "ErasedBatch",
    "ExportOutcome",
    "delete_selection",
    "memories_delete",
    "memories_delete_listed",
    "memories_delete_matching",
    "memories_export",
    "memory_create",
    "memory_delete",
    "memory_update",
    "user_memories_erase",
]
