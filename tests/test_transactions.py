"""memories/transactions.py: the app's write transactions at READ COMMITTED whatever level the
host's connections open with; a caller's transaction, and its level, left as they are."""

from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from django.contrib.messages import get_messages
from django.db import connections, transaction

from memories.transactions import read_committed
from tests.conftest import isolation_level, require_db_id
from tests.factories import memory_create, memory_ids_in, model_of
from tests.test_statement_limits import limited

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")


def level_now(alias: str) -> str:
    """The isolation level of the transaction open on alias (PostgreSQL)."""
    with connections[alias].cursor() as cursor:
        cursor.execute("SHOW transaction_isolation")
        return str(cursor.fetchone()[0])


@contextmanager
def levels_of_writes(alias: str) -> Iterator[list[str]]:
    """The isolation level each UPDATE or DELETE on alias ran at (PostgreSQL), read in its
    own transaction just before it."""
    seen: list[str] = []

    def wrapper(execute, sql, params, many, context):
        if sql.lstrip().startswith(("UPDATE", "DELETE", "WITH")):
            with context["connection"].connection.cursor() as cursor:
                cursor.execute("SHOW transaction_isolation")
                seen.append(cursor.fetchone()[0])
        return execute(sql, params, many, context)

    with connections[alias].execute_wrapper(wrapper):
        yield seen


@pytest.mark.parametrize("level", ["repeatable read", "serializable"])
def test_the_apps_transaction_reads_committed_and_the_hosts_keep_their_level(level):
    require_db_id("pg")
    with isolation_level("pg", level):
        with read_committed("pg"):
            ours = level_now("pg")
        with transaction.atomic(using="pg"):
            theirs = level_now("pg")

    assert (ours, theirs) == ("read committed", level)


def test_in_a_callers_transaction_the_level_is_the_callers():
    require_db_id("pg")
    with (
        isolation_level("pg", "serializable"),
        transaction.atomic(using="pg"),
        read_committed("pg"),
    ):
        inside = level_now("pg")

    assert inside == "serializable"


@pytest.mark.parametrize("db_id", ["pg", "maria"])
def test_with_autocommit_off_the_callers_open_transaction_is_kept(db_id):
    # AUTOCOMMIT False, or a caller's set_autocommit(False): a transaction is open, where no
    # level can be set any more; the write runs in it, and the caller commits it.
    require_db_id(db_id)
    memory_create(db_id, memory_id="kept", user_id="alice")
    with isolation_level(db_id, "serializable"):
        transaction.set_autocommit(False, using=db_id)
        try:
            with read_committed(db_id):
                memory_create(db_id, memory_id="written", user_id="alice")
            transaction.commit(using=db_id)
        finally:
            transaction.set_autocommit(True, using=db_id)

    assert memory_ids_in(db_id) == {"kept", "written"}


def require_postgresql(db_id: str) -> None:
    require_db_id(db_id)
    if connections[db_id].vendor != "postgresql":
        pytest.skip(f"{db_id} is PostgreSQL in the second run only")


def test_a_delete_runs_at_read_committed(as_user):
    # Its own transaction, as where the audit records live in another database.
    require_db_id("pg")
    memory_create("pg", memory_id="mine", user_id="alice")
    with limited, isolation_level("pg", "serializable"), levels_of_writes("pg") as seen:
        response = as_user("alice").delete("/memories/mine?db_id=pg")

    assert response.status_code == 204
    assert seen and set(seen) == {"read committed"}
    assert memory_ids_in("pg") == set()


def test_an_admin_edit_runs_at_read_committed(staff):
    # Django's admin wraps a change in a transaction of its own on the memory model's
    # default alias: the app's is around it.
    require_postgresql("default")
    memory_create("default", memory_id="m1", user_id="alice", memory="before")
    with isolation_level("default", "serializable"), levels_of_writes("default") as seen:
        response = staff.post(
            "/admin/memories/memory/m1/change/", {"memory": "after", "topics": "tea"}
        )

    assert response.status_code == 302
    assert seen and set(seen) == {"read committed"}
    edited = model_of("default")._default_manager.get(memory_id="m1")
    assert (edited.memory, edited.topics) == ("after", ["tea"])


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_admin_edit_whose_table_is_gone_says_so(staff):
    # The failed statement's transaction is rolled back before the table is looked for: on
    # PostgreSQL a look inside it would fail too, and read as a database that is down.
    require_db_id("pg")
    url = "/admin/memories/memory/m1/change/?_changelist_filters=target%3Dpg%3Aai.agno_memories"
    with isolation_level("pg", "serializable"), connections["pg"].cursor() as cursor:
        cursor.execute("ALTER TABLE ai.agno_memories RENAME TO agno_memories_away")
        try:
            response = staff.post(url, {"memory": "after", "topics": "tea"})
        finally:
            cursor.execute("ALTER TABLE ai.agno_memories_away RENAME TO agno_memories")

    assert response.status_code == 302
    assert [str(m) for m in get_messages(response.wsgi_request)] == [
        "Table ai.agno_memories does not exist in database pg."
    ]
