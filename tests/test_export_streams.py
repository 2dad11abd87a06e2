"""How an export is written: one JSON object a line, sent in chunks of whole lines, within
the process's limits on concurrent exports and their duration."""

import gc
import json

import pytest
from asgiref.sync import async_to_sync
from django.test import AsyncClient

from memories.exceptions import ExportsBusyError, ExportTimeLimitError
from memories.export_streams import CHUNK_BYTES, BoundedExport, export_lines, export_slots
from memories.models import Channel, MemoryExport
from memories.requests import current_request_id, request_id_kept
from memories.selectors import memory_lines
from memories.services import memories_export
from tests.conftest import mint
from tests.factories import memory_create, memory_ids_in, target

pytestmark = pytest.mark.django_db(databases="__all__")


def stored_rows(db_id):
    """Every memory of db_id's table as an export reads it, in id order."""
    where = target(db_id)
    return [(where, line) for line in memory_lines(target=where, user_id=None)]


@pytest.mark.parametrize("with_target", [False, True])
def test_one_line_per_memory_as_get_renders_it_and_its_place_first(db_id, with_target):
    memory_create(
        db_id,
        memory_id="m1",
        user_id="alice",
        memory="Likes tea 🍵",
        topics=["drinks", "mornings"],
        team_id=None,
        created_at=1_700_000_000,
        updated_at=None,
    )

    (chunk,) = export_lines(stored_rows(db_id), with_target=with_target)

    assert chunk.endswith(b"\n") and chunk.count(b"\n") == 1
    line = json.loads(chunk)
    place = {"db_id": db_id, "table": "agno_memories"} if with_target else {}
    assert list(line) == [*place, "memory_id", "memory", "topics", "agent_id", "team_id"] + [
        "user_id",
        "updated_at",
        "created_at",
    ]
    assert line == {
        **place,
        "memory_id": "m1",
        "memory": "Likes tea 🍵",
        "topics": ["drinks", "mornings"],
        "agent_id": "agent-1",
        "team_id": None,
        "user_id": "alice",
        "updated_at": None,
        "created_at": "2023-11-14T22:13:20Z",
    }
    assert memory_ids_in(db_id) == {"m1"}


def test_chunks_hold_whole_lines_of_about_chunk_bytes():
    # Lines of 60% of a chunk: the second line passes the size, the third starts a new chunk.
    for number in range(5):
        memory_create(memory_id=f"m{number}", memory="x" * int(CHUNK_BYTES * 0.6))

    chunks = list(export_lines(stored_rows("default"), with_target=False))

    assert [chunk.count(b"\n") for chunk in chunks] == [2, 2, 1]
    assert all(chunk.endswith(b"\n") for chunk in chunks)
    assert all(CHUNK_BYTES <= len(chunk) < 2 * CHUNK_BYTES for chunk in chunks[:-1])
    lines = b"".join(chunks).decode().splitlines()
    assert [json.loads(line)["memory_id"] for line in lines] == [f"m{n}" for n in range(5)]


def test_no_rows_no_bytes():
    assert list(export_lines([], with_target=True)) == []


async def _chunks_of(response) -> list[bytes]:
    return [chunk async for chunk in response]


@pytest.mark.django_db(transaction=True, databases=["default"])
def test_under_asgi_the_export_is_an_asynchronous_stream_of_the_same_lines(client):
    for number in range(60):
        memory_create("default", memory_id=f"m{number:03}", user_id="alice", memory="x" * 2000)
    headers = {"Authorization": f"Bearer {mint('alice')}"}

    response = async_to_sync(AsyncClient().get)("/memory_export", headers=headers)

    # An asynchronous iterator: Django's ASGI handler sends chunk by chunk (a synchronous
    # one it would read whole first, warning, which the suite turns into an error).
    assert response.status_code == 200 and response.is_async  # type: ignore[attr-defined]
    chunks = async_to_sync(_chunks_of)(response)
    assert len(chunks) > 1 and all(len(chunk) < 2 * CHUNK_BYTES for chunk in chunks)
    under_wsgi = client.get("/memory_export", headers=headers)
    assert not under_wsgi.is_async
    assert b"".join(chunks) == b"".join(under_wsgi.streaming_content)
    assert b"".join(chunks).count(b"\n") == 60


@pytest.mark.django_db(transaction=True, databases="__all__")  # responses closed by hand
class BoundedExportTests:
    """At most EXPORT_MAX_CONCURRENT exports per process, each for EXPORT_MAX_SECONDS."""

    @pytest.fixture
    def at_most_one(self, settings):
        settings.MEMORIES = {**settings.MEMORIES, "EXPORT_MAX_CONCURRENT": 1}
        for number in range(3000):  # several chunks
            memory_create(memory_id=f"a{number:04}", user_id="alice", memory="x" * 100)

    def test_an_export_beyond_the_limit_is_refused_until_one_ends(self, as_user, at_most_one):
        client = as_user("alice")
        running = client.get("/memory_export")
        first_chunk = next(iter(running.streaming_content))

        refused = client.get("/memory_export")
        running.close()  # as a server does when its client goes away
        after = client.get("/memory_export")

        assert refused.status_code == 503
        assert refused.json() == {
            "detail": "Too many exports are running (1 at most per server process); try "
            "again when one has finished",
            "error_code": "EXPORTS_BUSY",
        }
        assert after.status_code == 200
        assert len(b"".join(after.streaming_content).splitlines()) == 3000
        records = list(MemoryExport.objects.order_by("id").values_list("count", "finished"))
        # The cut export recorded the rows it had sent: those of its first chunk.
        assert records == [(first_chunk.count(b"\n"), False), (3000, True)]
        assert 0 < first_chunk.count(b"\n") < 3000

    def test_an_export_that_never_started_frees_its_place(self, at_most_one):
        rows = memories_export(targets=[target()], user_id="alice", actor="a", channel=Channel.API)
        never_read = BoundedExport(export_lines(rows, with_target=False))

        with pytest.raises(ExportsBusyError):
            BoundedExport(iter([]))
        never_read.close()  # closed before a single chunk was asked for
        BoundedExport(iter([])).close()

        assert export_slots.running == 0
        assert not MemoryExport.objects.exists()  # nothing was read, nor recorded

    def test_an_export_dropped_unclosed_gives_its_place_back(self, at_most_one):
        dropped = BoundedExport(iter([b"never sent"]))
        with pytest.raises(ExportsBusyError):
            BoundedExport(iter([]))

        del dropped  # a response nobody closed: a client gone while the view ran, under ASGI
        gc.collect()

        assert export_slots.running == 0
        BoundedExport(iter([])).close()

    def test_under_asgi_closing_an_export_never_read_gives_its_place_back(self, at_most_one):
        headers = {"Authorization": f"Bearer {mint('alice')}"}
        unread = async_to_sync(AsyncClient().get)("/memory_export", headers=headers)

        unread.close()  # as Django's handler closes a response whose client went away
        after = async_to_sync(AsyncClient().get)("/memory_export", headers=headers)

        assert (unread.status_code, after.status_code) == (200, 200)
        assert len(b"".join(async_to_sync(_chunks_of)(after)).splitlines()) == 3000
        after.close()
        assert export_slots.running == 0

    def test_its_chunks_are_made_under_the_requests_id(self, at_most_one):
        seen = []

        def chunks():
            try:
                for chunk in (b"1\n", b"2\n"):
                    seen.append(current_request_id())
                    yield chunk
            finally:
                seen.append(current_request_id())  # the export's record is completed here

        with request_id_kept("req-7"):  # the view's time, inside the middleware
            export = BoundedExport(chunks())
        # The server's time, after the middleware has returned.
        assert next(export) == b"1\n"
        export.close()

        assert seen == ["req-7", "req-7"]
        assert current_request_id() is None

    def test_an_export_past_its_time_is_cut_and_recorded_unfinished(
        self, as_user, at_most_one, settings
    ):
        settings.MEMORIES = {**settings.MEMORIES, "EXPORT_MAX_SECONDS": 0}
        client = as_user("alice")
        response = client.get("/memory_export")

        with pytest.raises(ExportTimeLimitError, match="past 0 seconds"):
            b"".join(response.streaming_content)
        after = client.get("/memory_export")

        assert response.status_code == 200  # sent before the first chunk
        assert after.status_code == 200  # its place was given back
        assert MemoryExport.objects.filter(finished=True).count() == 0
