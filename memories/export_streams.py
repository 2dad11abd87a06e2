"""How an export is written: newline-delimited JSON, one memory a line, and a last line that
says so when a database could not be read; streamed within this process's limits
(EXPORT_MAX_CONCURRENT, EXPORT_MAX_SECONDS)."""

import json
import threading
import time
import weakref
from collections.abc import AsyncIterator, Iterable, Iterator
from typing import Any

from asgiref.sync import sync_to_async
from django.core.handlers.asgi import ASGIRequest
from django.http import HttpRequest
from django.utils.translation import gettext

from memories.conf import memories_settings
from memories.exceptions import (
    DATABASE_UNAVAILABLE,
    STATEMENT_TIMEOUT,
    DatabasesUnreachableError,
    ExportsBusyError,
    ExportTimeLimitError,
)
from memories.requests import current_request_id, request_id_kept
from memories.services.export import ExportLine, ExportOutcome
from memories.statement_limits import statement_time_limit
from memories.targets import MemoryTarget

NDJSON = "application/x-ndjson"
# Lines are sent in chunks of about this many bytes: fewer writes than one per memory.
CHUNK_BYTES = 64 * 1024


def export_lines(
    rows: Iterable[ExportLine],
    *,
    with_target: bool,
    outcome: ExportOutcome | None = None,
) -> Iterator[bytes]:
    """The rows as NDJSON, with the fields of GET /memories/{id} (and, `with_target`, the
    db_id and table first), in chunks of whole lines of about CHUNK_BYTES; then, when the
    outcome names tables that could not be read, the incomplete-export line."""
    buffer: list[str] = []
    size = 0
    named: MemoryTarget | None = None  # the table whose prefix is written
    prefix = ""
    for target, line in rows:
        if with_target:
            if target is not named:
                named, prefix = target, target_prefix(target)
            line = prefix + line[1:]  # after the memory's opening brace
        buffer.append(line)
        buffer.append("\n")
        size += len(line) + 1
        if size >= CHUNK_BYTES:
            yield "".join(buffer).encode()
            buffer, size = [], 0
    if outcome is not None and not outcome.is_complete:
        buffer.append(json.dumps(incomplete_line(outcome)) + "\n")
    if buffer:
        yield "".join(buffer).encode()


def target_prefix(target: MemoryTarget) -> str:
    """The opening of a line that names its table, as json.dumps writes a dict whose first
    keys are db_id and table: the memory's own keys follow."""
    return f'{{"db_id": {json.dumps(target.db_id)}, "table": {json.dumps(target.table)}, '


def incomplete_line(outcome: ExportOutcome) -> dict[str, Any]:
    """The last line of an export that could not read every table: the API's error shape
    (no memory line has an `error_code`), and the tables it lacks (all their memories, or
    those after the last line from them)."""
    tables = [(target.db_id, target.table) for target in outcome.unreachable]
    done = gettext("this export lacks their memories")
    unreachable = [{"db_id": db_id, "table": table} for db_id, table in tables]
    # Each of them cut by the statement limit: that is what the line says.
    is_timed_out = outcome.timed_out.keys() == outcome.unreachable.keys()
    timed_out = max(outcome.timed_out.values()) if is_timed_out else None
    error = DatabasesUnreachableError(tables, done=done, timed_out=timed_out)
    code = STATEMENT_TIMEOUT if is_timed_out else DATABASE_UNAVAILABLE
    return {"detail": str(error), "error_code": code, "unreachable": unreachable}


def streamed(request: HttpRequest, chunks: Iterator[bytes]) -> "Iterator[bytes] | AsyncChunks":
    """chunks as the handler serving request streams them: Django's ASGI handler reads a
    synchronous iterator whole into memory before sending any of it, so under ASGI the
    chunks go through an asynchronous iterator."""
    return AsyncChunks(chunks) if isinstance(request, ASGIRequest) else chunks


class AsyncChunks:
    """chunks as an asynchronous iterable with a close(): Django closes a response's content
    through it whether or not the content was ever iterated (a client gone before the first
    chunk), as it closes a synchronous iterator; an async generator alone offers none."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._request_id = current_request_id()  # the server asks for chunks after the view

    def __aiter__(self) -> AsyncIterator[bytes]:
        return chunks_of(self._chunks)

    def close(self) -> None:
        _close(self._chunks)


async def chunks_of(chunks: Iterator[bytes]) -> AsyncIterator[bytes]:
    """Each chunk made in the request's own thread (thread-sensitive, where the view ran and
    its database connection lives), one at a time, so memory stays flat under ASGI too."""
    next_chunk = sync_to_async(_next_or_none, thread_sensitive=True)
    try:
        while (chunk := await next_chunk(chunks)) is not None:
            yield chunk
    finally:
        # A client gone mid-stream: the generator's own cleanup runs in that thread too.
        await sync_to_async(_close, thread_sensitive=True)(chunks)


def _next_or_none(chunks: Iterator[bytes]) -> bytes | None:
    return next(chunks, None)


def _close(chunks: Iterator[bytes]) -> None:
    close = getattr(chunks, "close", None)
    if close is not None:
        close()


class _ExportSlots:
    """How many exports this process streams; at most EXPORT_MAX_CONCURRENT."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.running = 0

    def take(self) -> None:
        limit = int(memories_settings.EXPORT_MAX_CONCURRENT)
        with self._lock:
            if self.running >= limit:
                raise ExportsBusyError(limit)
            self.running += 1

    def give_back(self) -> None:
        with self._lock:
            self.running -= 1


export_slots = _ExportSlots()


class BoundedExport:
    """An export's chunks holding one of this process's export slots until closed (the
    server closes a response it stops sending, whatever the reason), and cut past
    EXPORT_MAX_SECONDS. The time is checked whenever the server asks for the next chunk: a
    client that stops reading is bounded by the slots instead."""

    def __init__(self, chunks: Iterator[bytes]) -> None:
        self._chunks = chunks
        self._request_id = current_request_id()  # the server asks for chunks after the view
        self._deadline = time.monotonic() + float(memories_settings.EXPORT_MAX_SECONDS)
        export_slots.take()
        # Given back by close(), or else when this export is collected: under ASGI a client
        # gone while the view ran leaves a response that nobody closes.
        self._slot = weakref.finalize(self, export_slots.give_back)

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        # The server asks for chunks after the view returned: their statements are the
        # request's all the same.
        with request_id_kept(self._request_id), statement_time_limit():
            return self._next_chunk()

    def _next_chunk(self) -> bytes:
        if time.monotonic() >= self._deadline:
            self.close()
            # Raised, not a quiet end: the server drops the connection before the body's
            # end, so the client can tell a cut export from a complete one.
            raise ExportTimeLimitError(
                f"The export ran past {memories_settings.EXPORT_MAX_SECONDS} seconds"
            )
        return next(self._chunks)

    def close(self) -> None:
        if not self._slot.alive:
            return
        try:
            with request_id_kept(self._request_id), statement_time_limit():
                _close(self._chunks)  # the export's audit record gets the rows it sent
        finally:
            self._slot()  # once: a finalizer runs at most once
