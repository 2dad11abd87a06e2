"""The admin pages of the app's models under MEMORIES["STATEMENT_TIMEOUT"]: a statement the
limit cut becomes a message, and nothing is deleted half-way."""

import logging
import time
from contextlib import ExitStack

import pytest
from django.contrib.messages import get_messages
from django.db import connections
from django.test.utils import CaptureQueriesContext

from memories.models import MemoryDeletion
from memories.summaries import column_values
from tests.conftest import require_db_id
from tests.factories import memory_create, memory_ids_in, target
from tests.test_statement_limits import HELD, limited, row_locked, table_locked


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_admin_list_cut_by_the_limit_shows_a_message_instead_of_an_error_page(staff):
    require_db_id("pg")
    memory_create("pg", memory_id="listed", user_id="alice")
    with limited, table_locked("pg"):
        started = time.monotonic()
        page = staff.get("/admin/memories/memory/", {"target": "pg:agno_memories"})
        took = time.monotonic() - started

    assert page.status_code == 200
    assert [str(m) for m in get_messages(page.wsgi_request)] == [
        *(
            f"The database did not answer within 0.5 seconds: the filter “{title}” offers no "
            "choices."
            for title in ("agent_id", "team_id", "topic")
        ),
        "Database pg did not answer within 0.5 seconds, the limit of a statement: the page "
        "was stopped. Narrow it with a filter or a search.",
    ]
    assert took < HELD / 2


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_once_a_filter_is_cut_the_other_filters_do_not_wait_the_limit_out_too(staff):
    require_db_id("pg")
    memory_create("pg", memory_id="listed", user_id="alice", agent_id="chef", topics=["recipes"])

    with limited, table_locked("pg"), CaptureQueriesContext(connections["pg"]) as statements:
        page = staff.get("/admin/memories/memory/", {"target": "pg:agno_memories"})

    # One read of the whole table for the three filters' choices reached the database (the
    # first filter's, which the limit cut); the others offered none without asking.
    choice_reads = [
        query["sql"]
        for query in statements.captured_queries
        if "DISTINCT" in query["sql"] or "json_array_elements" in query["sql"]
    ]
    assert len(choice_reads) == 1, choice_reads
    warnings = [str(m) for m in get_messages(page.wsgi_request)][:3]
    assert warnings == [
        f"The database did not answer within 0.5 seconds: the filter “{title}” offers no choices."
        for title in ("agent_id", "team_id", "topic")
    ]


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_admin_delete_cut_by_the_limit_deletes_nothing_and_says_so(staff):
    require_db_id("maria")
    memory_create("maria", memory_id="kept", user_id="alice")

    with limited, row_locked("maria", "kept"):
        response = staff.post(
            "/admin/memories/memory/kept/delete/?_changelist_filters=target%3Dmaria%3Aagno_memories",
            {"confirmed": "yes"},
        )

    assert response.status_code == 302
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Database maria did not answer within 0.5 seconds")
    assert memory_ids_in("maria") == {"kept"}
    assert not MemoryDeletion.objects.exists()


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_deletion_by_filter_whose_count_is_cut_says_so_and_deletes_nothing(staff):
    require_db_id("pg")
    memory_create("pg", memory_id="kept", user_id="alice")
    url = "/admin/memories/memory/delete_matching/?target=pg%3Aagno_memories&user_id=alice"

    with limited, table_locked("pg"):
        response = staff.post(url, {"confirmed": "yes"})

    assert response.status_code == 302
    # The list's filters offered no choices either (a warning each), and the count was cut.
    *filters, message = [str(m) for m in get_messages(response.wsgi_request)]
    assert all("offers no choices" in warning for warning in filters)
    assert message.startswith("Database pg did not answer within 0.5 seconds")
    assert memory_ids_in("pg") == {"kept"}
    assert not MemoryDeletion.objects.exists()


class ReleasedOnWarning(logging.Handler):
    """Closes the lock's block at the first warning logged: the moment a read cut by the
    limit has been answered, before the page reads anything else."""

    def __init__(self, held: ExitStack) -> None:
        super().__init__(logging.WARNING)
        self.held = held

    def emit(self, record: logging.LogRecord) -> None:
        self.held.close()


@pytest.mark.parametrize("host", ["autocommit", "atomic requests"])
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_list_whose_topics_are_not_read_within_the_limit_opens_without_their_choices(
    staff, host, request
):
    # Under a host's ATOMIC_REQUESTS too: the rows' read after the cut one, on the same
    # connection, is no statement of a failed transaction (tests/test_atomic_requests.py).
    if host == "atomic requests":
        request.getfixturevalue("atomic_requests")
    require_db_id("pg")
    memory_create("pg", memory_id="listed", user_id="alice", agent_id="chef", topics=["recipes"])
    # The agent and team choices kept, the topics not: their read is the one the lock holds.
    for column in ("agent_id", "team_id"):
        column_values(target=target("pg"), column=column)
    logger = logging.getLogger("memories.admin")

    with limited, ExitStack() as held:
        held.enter_context(table_locked("pg"))
        released = ReleasedOnWarning(held)
        logger.addHandler(released)
        try:
            page = staff.get("/admin/memories/memory/", {"target": "pg:agno_memories"})
        finally:
            logger.removeHandler(released)

    assert page.status_code == 200
    assert [str(m) for m in get_messages(page.wsgi_request)] == [
        "The database did not answer within 0.5 seconds: the filter “topic” offers no choices."
    ]
    html = page.content.decode()
    assert "/admin/memories/memory/listed/" in html  # the row is listed
    assert "topic=recipes" not in html and "agent_id=chef" in html
