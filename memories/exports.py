"""How an export is written: newline-delimited JSON, one memory a line."""

import json
from collections.abc import Iterable, Iterator
from typing import Any

from memories.models import AbstractMemory
from memories.serializers import MemorySerializer
from memories.targets import MemoryTarget

NDJSON = "application/x-ndjson"
# Lines are sent in chunks of about this many bytes: fewer writes than one per memory.
CHUNK_BYTES = 64 * 1024


def export_lines(
    rows: Iterable[tuple[MemoryTarget, AbstractMemory]], *, with_target: bool
) -> Iterator[bytes]:
    """The rows as NDJSON, with the fields of GET /memories/{id} (and, `with_target`, the
    db_id and table first), in chunks of whole lines of about CHUNK_BYTES."""
    buffer: list[str] = []
    size = 0
    for target, memory in rows:
        data: dict[str, Any] = dict(MemorySerializer(memory).data)
        if with_target:
            data = {"db_id": target.db_id, "table": target.table, **data}
        line = json.dumps(data) + "\n"
        buffer.append(line)
        size += len(line)
        if size >= CHUNK_BYTES:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if buffer:
        yield "".join(buffer).encode()
