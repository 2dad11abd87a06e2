"""erase_user_memories: counts first, batches in transactions, exact totals, safe to re-run."""

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.core.management.base import OutputWrapper
from django.db import DatabaseError, connections

from memories.management.base import Progress
from memories.models import MemoryDeletion
from memories.services import DELETION_MAX_ROUNDS
from memories.signals import memories_deleted, memory_deleted
from memories.statements import Statements
from memories.statements.postgresql import PostgreSQLStatements
from memories.targets import configured_tables
from tests.conftest import ALL_DB_IDS, deletion_log
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")


def configured() -> list[str]:
    return [db_id for db_id in ALL_DB_IDS if db_id in connections.settings]


def erase(*args: str, answer: str | None = None, monkeypatch=None) -> str:
    out = StringIO()
    if answer is not None and monkeypatch is not None:
        monkeypatch.setattr("builtins.input", lambda prompt: answer)
    call_command("erase_user_memories", *args, stdout=out)
    return out.getvalue()


@pytest.fixture
def spread():
    """alice has 3 memories in each database, bob 1; pg's second table holds 2 of alice's."""
    for db_id in configured():
        for number in range(3):
            memory_create(db_id, memory_id=f"a{number}", user_id="alice")
        memory_create(db_id, memory_id="b0", user_id="bob")
    if "pg" in configured():
        memory_create("pg", "ai.agno_memories", memory_id="a9", user_id="alice")
        memory_create("pg", "ai.agno_memories", memory_id="a8", user_id="alice")


def test_dry_run_counts_per_database_and_table_and_deletes_nothing(spread):
    output = erase("alice", "--dry-run")

    assert "Dry run: nothing was deleted." in output
    for db_id in configured():
        assert f"  {db_id:<16} {'agno_memories':<32} 3" in output
        assert memory_ids_in(db_id) == {"a0", "a1", "a2", "b0"}
    assert f"  {'lite':<16} {'missing_memories':<32} table absent" in output
    assert not MemoryDeletion.objects.exists()


def test_erases_every_table_in_batches_with_exact_totals(spread):
    output = erase("alice", "--yes", "--batch-size", "2")

    expected = 3 * len(configured()) + (2 if "pg" in configured() else 0)
    assert f"Deleted {expected} memories of 'alice'." in output
    for db_id in configured():
        assert memory_ids_in(db_id) == {"b0"}
    if "pg" in configured():
        assert memory_ids_in("pg", "ai.agno_memories") == set()
    records = list(MemoryDeletion.objects.all())
    assert sum(record.count for record in records) == expected
    assert all(record.channel == "command" and record.count <= 2 for record in records)
    assert all(record.user_ids == ["alice"] for record in records)


def test_only_the_given_db_ids(spread):
    erase("alice", "--yes", "--db-id", "lite")

    assert memory_ids_in("lite") == {"b0"}
    assert memory_ids_in("default") == {"a0", "a1", "a2", "b0"}


def test_unknown_db_id_is_an_error(spread):
    with pytest.raises(CommandError, match="Unknown db_id: nope"):
        erase("alice", "--yes", "--db-id", "nope")
    assert memory_ids_in("default") == {"a0", "a1", "a2", "b0"}


def test_asks_for_confirmation(spread, monkeypatch):
    declined = erase("alice", answer="no", monkeypatch=monkeypatch)
    assert "Cancelled: nothing was deleted." in declined
    assert memory_ids_in("default") == {"a0", "a1", "a2", "b0"}

    accepted = erase("alice", "--db-id", "default", answer="yes", monkeypatch=monkeypatch)
    assert "Deleted 3 memories of 'alice'." in accepted
    assert memory_ids_in("default") == {"b0"}


def test_plain_lines_when_not_a_terminal(spread):
    output = erase("alice", "--yes", "--db-id", "default", "--batch-size", "2")

    assert "deleted 2 from default/agno_memories (2/3)" in output
    assert "deleted 1 from default/agno_memories (3/3)" in output
    assert "\r" not in output


def test_nothing_to_delete(spread):
    assert "Nothing to delete." in erase("nobody", "--yes")


def test_a_batch_failing_midway_keeps_earlier_batches_and_a_rerun_finishes(spread, monkeypatch):
    # A fault we cannot cause on demand mid-command: the second batch's statement fails,
    # whichever statement deletes the batches on this database.
    real = {
        Statements: Statements.delete,
        PostgreSQLStatements: PostgreSQLStatements.delete_and_record,
    }
    calls = {"count": 0}

    def failing_on_second_batch(function):
        def delete(self, target, selection, *args, **kwargs):
            calls["count"] += 1
            if calls["count"] == 2:
                raise DatabaseError("connection lost")
            return function(self, target, selection, *args, **kwargs)

        return delete

    for owner, function in real.items():
        monkeypatch.setattr(owner, function.__name__, failing_on_second_batch(function))
    with pytest.raises(CommandError) as failed:
        erase("alice", "--yes", "--db-id", "default", "--batch-size", "1")

    assert str(failed.value).startswith("Deleted 1 memory of 'alice', but the deletion")
    assert "(default/agno_memories: database failed)" in str(failed.value)

    # Batches take any of the user's memories: exactly one of alice's went, with its record.
    left = memory_ids_in("default")
    assert len(left) == 3 and "b0" in left
    (gone,) = {"a0", "a1", "a2"} - left
    assert MemoryDeletion.objects.get().memory_ids == [gone]

    monkeypatch.undo()
    output = erase("alice", "--yes", "--db-id", "default", "--batch-size", "1")

    assert "Deleted 2 memories of 'alice'." in output
    assert memory_ids_in("default") == {"b0"}
    assert sum(record.count for record in MemoryDeletion.objects.all()) == 3


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_signals_once_per_memory_and_once_per_batch_after_commit():
    for number in range(5):
        memory_create(memory_id=f"a{number}", user_id="alice")
    single, batches = [], []

    def on_memory(sender, **kwargs):
        single.append(kwargs["memory_id"])

    def on_batch(sender, **kwargs):
        batches.append(kwargs["memory_ids"])

    memory_deleted.connect(on_memory)
    memories_deleted.connect(on_batch)
    try:
        erase("alice", "--yes", "--db-id", "default", "--batch-size", "2")
    finally:
        memory_deleted.disconnect(on_memory)
        memories_deleted.disconnect(on_batch)

    assert sorted(single) == ["a0", "a1", "a2", "a3", "a4"]
    assert batches == [["a0", "a1"], ["a2", "a3"], ["a4"]]


def test_batch_size_must_be_positive():
    with pytest.raises(CommandError, match="--batch-size"):
        erase("alice", "--yes", "--batch-size", "0")


def test_progress_bar_on_a_terminal():
    raw = StringIO()
    progress = Progress(OutputWrapper(raw), 4, interactive=True)

    progress.advance(2, "deleted 2")
    progress.advance(2, "deleted 2")
    progress.finish()

    assert raw.getvalue() == (f"\r[{'#' * 15}{'-' * 15}] 2/4\r[{'#' * 30}] 4/4\n")


def erase_logged(caplog, batch_size: int) -> list[dict]:
    """Erase alice's memories on default in batches; the deletion log lines' fields."""
    with caplog.at_level(logging.INFO, logger="memories.deletions"):
        erase("alice", "--yes", "-v", "2", "--db-id", "default", "--batch-size", str(batch_size))
    return deletion_log(caplog)


def test_each_batch_logs_one_small_line_naming_its_audit_record(caplog):
    for number in range(5):
        memory_create(memory_id=f"a{number}", user_id="alice")
    memory_create(memory_id="b0", user_id="bob")

    lines = erase_logged(caplog, batch_size=2)

    records = MemoryDeletion.objects.order_by("id")
    assert [record.count for record in records] == [2, 2, 1]
    common = {
        "outcome": "deleted",
        "actor": "command:root",
        "channel": "command",
        "db_id": "default",
        "table": "agno_memories",
    }
    assert lines == [
        {**common, "count": record.count, "audit_record": record.pk} for record in records
    ]
    assert "a0" not in caplog.text and "alice" not in caplog.text
    assert sorted(i for record in records for i in record.memory_ids) == [
        f"a{number}" for number in range(5)
    ]
    assert memory_ids_in("default") == {"b0"}


def test_batches_send_their_rows_to_python_only_for_receivers(
    caplog, django_capture_on_commit_callbacks
):
    if connections["default"].vendor != "postgresql":
        pytest.skip("the statement records the batch itself only on PostgreSQL")
    for number in range(6):
        memory_create(memory_id=f"a{number}", user_id="alice")
    answers: list[int] = []

    def count_answer_rows(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        if sql.startswith("WITH gone AS"):
            answers.append(context["cursor"].rowcount)
        return result

    with connections["default"].execute_wrapper(count_answer_rows):
        erase_logged(caplog, batch_size=3)
    received: list[str] = []

    def on_memory(sender, **kwargs):
        received.append(kwargs["memory_id"])

    memory_deleted.connect(on_memory)
    try:
        for number in range(6, 9):
            memory_create(memory_id=f"a{number}", user_id="alice")
        with (
            connections["default"].execute_wrapper(count_answer_rows),
            django_capture_on_commit_callbacks(execute=True),
        ):
            erase_logged(caplog, batch_size=3)
    finally:
        memory_deleted.disconnect(on_memory)

    # One row per batch (its record's id and count); with a receiver, every deleted row,
    # which the receiver then gets.
    assert answers == [1, 1, 3]
    assert sorted(received) == ["a6", "a7", "a8"]
    assert memory_ids_in("default") == set()
    assert MemoryDeletion.objects.count() == 3


# What an erasure refilled by `refilled` deletes in its rounds: alice's one memory, then the
# two written after each batch.
ROUNDS_DELETED = 1 + 2 * (DELETION_MAX_ROUNDS - 1)


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_the_command_fails_loudly_when_the_erasure_cannot_finish(refilled):
    memory_create("lite", memory_id="a0", user_id="alice")
    memory_create("default", memory_id="a1", user_id="alice")

    out = StringIO()
    with pytest.raises(CommandError) as raised:
        call_command("erase_user_memories", "alice", "--yes", "--db-id", "lite", stdout=out)

    message = str(raised.value)
    assert message.startswith(
        f"Deleted {ROUNDS_DELETED} memories of 'alice', but the deletion did not finish"
    )
    assert "lite/agno_memories: 2 left" in message
    # What it did delete is listed, and no line claims success.
    assert f"  {'lite':<16} {'agno_memories':<32} {ROUNDS_DELETED}\n" in out.getvalue()
    assert "Deleted" not in out.getvalue()
    assert sum(r.count for r in MemoryDeletion.objects.filter(db_id="lite")) == ROUNDS_DELETED
    assert len(memory_ids_in("lite")) == 2
    assert memory_ids_in("default") == {"a1"}


@pytest.fixture
def alice_in_lite():
    for number in range(3):
        memory_create("lite", memory_id=f"a{number}", user_id="alice")
    memory_create("lite", memory_id="b0", user_id="bob")


def plan_line(db_id: str, table: str, count: object) -> str:
    return f"  {db_id:<16} {table:<32} {count}\n"


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_a_database_that_is_down_is_shown_beside_the_others_counts(alice_in_lite, down):
    output = erase("alice", "--dry-run", "--db-id", down, "--db-id", "lite")

    assert plan_line("lite", "agno_memories", 3) in output
    for table in configured_tables(down):
        assert plan_line(down, table, "database unreachable") in output
    assert output.endswith("Dry run: nothing was deleted.\n")


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_erasure_erases_what_it_can_and_fails_naming_what_it_could_not(alice_in_lite, down):
    out = StringIO()
    with pytest.raises(CommandError) as failed:
        call_command(
            "erase_user_memories", "alice", "--yes", "--db-id", down, "--db-id", "lite", stdout=out
        )

    message = str(failed.value)
    assert message.startswith("Deleted 3 memories of 'alice', but the deletion did not finish")
    failures = "; ".join(f"{down}/{table}: database failed" for table in configured_tables(down))
    assert f"({failures})" in message
    # What it did is listed; no line claims success.
    assert plan_line("lite", "agno_memories", 3) in out.getvalue()
    assert "Deleted" not in out.getvalue()
    assert memory_ids_in("lite") == {"b0"}
    (record,) = MemoryDeletion.objects.all()
    assert (record.db_id, record.count, record.user_ids) == ("lite", 3, ["alice"])
