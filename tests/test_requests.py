"""Request ids: a sane X-Request-ID kept, anything else replaced; returned in the response, on
the log records of the request and in its audit records. And a failing database's log: one
line per request, its traceback once per minute per cause."""

import logging

import pytest

from memories.models import MemoryDeletion, MemoryExport
from memories.requests import RequestIdFilter, current_request_id
from tests.conftest import DOWN, database_down, require_db_id
from tests.factories import memory_create

pytestmark = pytest.mark.django_db(databases="__all__")


@pytest.fixture
def with_request_ids(settings):
    settings.MIDDLEWARE = ["memories.requests.RequestIdMiddleware", *settings.MIDDLEWARE]


@pytest.mark.parametrize("sane", ["abc-123", "4bf92f3577b34da6a3ce929d0e0e4736", "a.b:c_d"])
def test_a_sane_request_id_is_kept(as_user, with_request_ids, sane):
    response = as_user("alice").get("/memories", HTTP_X_REQUEST_ID=sane)

    assert response["X-Request-ID"] == sane


@pytest.mark.parametrize("name", ["X-Request-ID", "x-request-id", "X-REQUEST-ID"])
def test_the_header_is_read_whatever_the_case_of_its_name(as_user, with_request_ids, name):
    response = as_user("alice").delete("/memories/missing", headers={name: "sent-1"})

    assert response.status_code == 404
    assert response["X-Request-ID"] == "sent-1"


@pytest.mark.parametrize(
    "odd", [None, "", "x" * 129, "has space", 'quote"d', "line\nbreak", "é", "a;b=c"]
)
def test_anything_else_gets_a_new_id(as_user, with_request_ids, odd):
    client = as_user("alice")
    headers = {} if odd is None else {"HTTP_X_REQUEST_ID": odd}

    first = client.get("/memories", **headers)["X-Request-ID"]
    second = client.get("/memories", **headers)["X-Request-ID"]

    assert len(first) == 32 and int(first, 16) >= 0
    assert first != second
    assert current_request_id() is None  # not left behind once the request is answered


def test_deletions_and_exports_record_the_request_id(as_user, with_request_ids, db_id):
    memory_create(db_id, memory_id="m1", user_id="alice")
    memory_create(db_id, memory_id="m2", user_id="alice")
    client = as_user("alice")

    client.delete(f"/memories/m1?db_id={db_id}", HTTP_X_REQUEST_ID="delete-1")
    client.delete(
        f"/memories?db_id={db_id}",
        {"memory_ids": ["m2"]},
        format="json",
        HTTP_X_REQUEST_ID="bulk-2",
    )
    export = client.get(f"/memory_export?db_id={db_id}", HTTP_X_REQUEST_ID="export-3")
    b"".join(export.streaming_content)  # the record is written as the stream is read

    assert sorted(MemoryDeletion.objects.values_list("memory_ids", "request_id")) == [
        (["m1"], "delete-1"),
        (["m2"], "bulk-2"),
    ]
    assert list(MemoryExport.objects.values_list("request_id", flat=True)) == ["export-3"]


def test_the_filter_puts_the_request_id_on_every_record(as_user, with_request_ids, caplog):
    seen = []

    class Keep(logging.Handler):
        def emit(self, record):
            seen.append((record.name, record.request_id))

    handler = Keep()
    handler.addFilter(RequestIdFilter())
    memories_logger = logging.getLogger("memories")
    memories_logger.addHandler(handler)
    try:
        memory_create(memory_id="m1", user_id="alice")
        as_user("alice").delete("/memories/m1", HTTP_X_REQUEST_ID="req-7")
        logging.getLogger("memories.other").warning("outside any request")
    finally:
        memories_logger.removeHandler(handler)

    assert ("memories.deletions", "req-7") in seen
    assert seen[-1] == ("memories.other", None)


@pytest.mark.django_db(transaction=True, databases="__all__")  # the connection is closed
def test_a_failing_database_logs_one_line_per_request_and_its_traceback_once(as_user, caplog):
    require_db_id("pg")
    client = as_user("alice")

    with (
        caplog.at_level(logging.INFO),
        database_down("pg", **DOWN["closed port"]),
    ):
        statuses = [client.get("/memories?db_id=pg").status_code for _ in range(3)]

    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert statuses == [500] * 3
    assert [r.name for r in errors] == ["memories.api"] * 3  # not django.request's too
    assert {r.getMessage().split(":")[0] for r in errors} == {"database pg failed"}
    assert "Connection refused" in errors[0].getMessage()
    assert [r.exc_info is not None for r in errors] == [True, False, False]
    assert {r.db_id for r in errors} == {"pg"}
