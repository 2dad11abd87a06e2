"""Writes: creating, updating and deleting memories, with audit records and signals."""

from memories.services.deletion import memories_delete, memory_delete
from memories.services.erasure import user_memories_erase
from memories.services.export import ExportLine, ExportOutcome, memories_export
from memories.services.filtered_deletion import (
    DEFAULT_BATCH_SIZES,
    DELETION_MAX_ROUNDS,
    DeletedBatch,
    memories_delete_listed,
    memories_delete_matching,
)
from memories.services.writes import memory_create, memory_update

__all__ = [
    "DEFAULT_BATCH_SIZES",
    "DELETION_MAX_ROUNDS",
    "DeletedBatch",
    "ExportLine",
    "ExportOutcome",
    "memories_delete",
    "memories_delete_listed",
    "memories_delete_matching",
    "memories_export",
    "memory_create",
    "memory_delete",
    "memory_update",
    "user_memories_erase",
]
