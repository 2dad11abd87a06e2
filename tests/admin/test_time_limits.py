"""The admin pages of the app's models under MEMORIES["STATEMENT_TIMEOUT"]: a statement the
limit cut becomes a message, and nothing is deleted half-way."""

import time

import pytest
from django.contrib.messages import get_messages

from memories.models import MemoryDeletion
from tests.conftest import require_db_id
from tests.factories import memory_create, memory_ids_in
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
        "Database pg did not answer within 0.5 seconds, the limit of a statement: the page "
        "was stopped. Narrow it with a filter or a search."
    ]
    assert took < HELD / 2


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
    (message,) = [str(m) for m in get_messages(response.wsgi_request)]
    assert message.startswith("Database pg did not answer within 0.5 seconds")
    assert memory_ids_in("pg") == {"kept"}
    assert not MemoryDeletion.objects.exists()
