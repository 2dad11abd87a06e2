"""A memory as the API renders it (GET /memories/{id}), written out without DRF's machinery."""

import datetime
from typing import Any

from memories.models import AbstractMemory, memory_text


def iso_datetime(epoch_seconds: int | None) -> str | None:
    if epoch_seconds is None:
        return None
    moment = datetime.datetime.fromtimestamp(epoch_seconds, tz=datetime.UTC)
    return moment.isoformat().replace("+00:00", "Z")


def topic_list(topics: Any) -> list[str] | None:
    """The topics column as rendered: a list of strings, or null for anything else."""
    return [str(topic) for topic in topics] if isinstance(topics, list) else None


def memory_representation(memory: AbstractMemory) -> dict[str, Any]:
    """MemorySerializer(memory).data, the same keys in the same order, written out: an
    export renders every memory of a user, and DRF's machinery per field (the serializer
    built, each field bound and its attribute looked up) was four fifths of an export's CPU
    (BENCHMARKS.md, the paths added since). tests/test_serializers.py holds the two equal
    on every engine, legacy rows included."""
    return {
        "memory_id": _text(memory.memory_id),
        "memory": memory_text(memory.memory),
        "topics": topic_list(memory.topics),
        "agent_id": _text(memory.agent_id),
        "team_id": _text(memory.team_id),
        "user_id": _text(memory.user_id),
        "updated_at": iso_datetime(memory.updated_at),
        "created_at": iso_datetime(memory.created_at),
    }


def _text(value: Any) -> str | None:
    # What CharField renders: None stays None (as DRF skips fields whose value is None).
    return None if value is None else str(value)
