"""What the deletion commands share on an operator's terminal: the plan before the question,
a progress bar that no log line lands over, and no line that lists ids."""

import logging
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from memories.models import MemoryDeletion
from memories.targets import all_targets
from tests.conftest import deletion_log
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")

COMMANDS = {
    "erase_user_memories": ["alice"],
    "delete_memories": ["--user-id", "alice"],
}


class Terminal(StringIO):
    """Standard output as a terminal: the commands draw their progress bar on it."""

    def isatty(self) -> bool:
        return True


def erase_alice(out: Terminal, *args: str) -> None:
    """erase_user_memories alice --yes, on a terminal."""
    call_command("erase_user_memories", "alice", "--yes", *args, stdout=out)


@pytest.fixture
def alice_in_lite():
    for number in range(30):
        memory_create("lite", memory_id=f"alice-{number:02}", user_id="alice")
    memory_create("lite", memory_id="bob-00", user_id="bob")


@pytest.mark.parametrize("command", COMMANDS)
def test_the_plan_names_every_db_id_and_table_before_asking(command, monkeypatch, alice_in_lite):
    out = StringIO()
    shown: list[str] = []

    def answer(prompt: str) -> str:
        shown.append(out.getvalue() + prompt)
        return "no"

    monkeypatch.setattr("builtins.input", answer)
    call_command(command, *COMMANDS[command], stdout=out)

    (before_asking,) = shown
    for target in all_targets():
        assert f"  {target.db_id:<16} {target.table:<32} " in before_asking
    assert f"  {'lite':<16} {'agno_memories':<32} 30\n" in before_asking
    assert before_asking.endswith(
        "Delete 30 memories permanently? This cannot be undone. Type 'yes' to go on: "
    )
    assert out.getvalue().endswith("Cancelled: nothing was deleted.\n")
    assert len(memory_ids_in("lite")) == 31


def test_one_memory_is_one_memory(monkeypatch):
    memory_create("lite", memory_id="only", user_id="carol")
    prompts: list[str] = []

    def answer(prompt: str) -> str:
        prompts.append(prompt)
        return "yes"

    monkeypatch.setattr("builtins.input", answer)
    out = StringIO()

    call_command("erase_user_memories", "carol", "--db-id", "lite", stdout=out)

    assert prompts[0].startswith("Delete 1 memory permanently?")
    assert out.getvalue().endswith("Deleted 1 memory of 'carol'.\n")


@pytest.mark.parametrize("verbosity, logged", [(1, False), (2, True)])
def test_deletion_log_lines_reach_the_terminal_only_at_verbosity_2(
    caplog, alice_in_lite, verbosity, logged
):
    out = Terminal()
    with caplog.at_level(logging.INFO, logger="memories.deletions"):
        erase_alice(out, "--db-id", "lite", "--batch-size", "10", "-v", str(verbosity))

    assert len(deletion_log(caplog)) == (3 if logged else 0)
    assert logging.getLogger("memories.deletions").level == logging.NOTSET  # restored
    bars = [
        "\r[##########--------------------] 10/30",
        "\r[####################----------] 20/30",
        "\r[##############################] 30/30",
    ]
    lines = out.getvalue().split("\n")
    assert lines[:3] == [
        "Memories of 'alice' to delete:",
        f"  {'lite':<16} {'agno_memories':<32} 30",
        f"  {'lite':<16} {'missing_memories':<32} table absent",
    ]
    # The bar is redrawn in place after each batch; a log line ends its line first.
    assert lines[3:-3] == (bars if logged else ["".join(bars)])
    assert lines[-3:] == [
        f"  {'lite':<16} {'agno_memories':<32} 30",
        "Deleted 30 memories of 'alice'.",
        "",
    ]
    # No line lists ids: they are in the audit records.
    assert "alice-" not in out.getvalue() + caplog.text
    assert sum(record.count for record in MemoryDeletion.objects.all()) == 30


@pytest.mark.django_db(transaction=True, databases="__all__")
def test_an_error_line_ends_the_progress_bar_first(alice_in_lite, down):
    out = Terminal()
    seen: list[str] = []

    class Witness(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            seen.append(out.getvalue())

    witness = Witness(level=logging.ERROR)
    logging.getLogger("memories.deletions").addHandler(witness)
    try:
        with pytest.raises(CommandError):
            erase_alice(out, "--db-id", "lite", "--db-id", down)
    finally:
        logging.getLogger("memories.deletions").removeHandler(witness)

    assert seen  # the failure on the database that is down
    for output in seen:
        assert output.endswith("[##############################] 30/30\n")
    assert memory_ids_in("lite") == {"bob-00"}


@pytest.mark.parametrize("command", COMMANDS)
def test_without_yes_and_nobody_to_answer_nothing_is_deleted(command, db_id, monkeypatch):
    memory_create(db_id, memory_id="alice-1", user_id="alice")
    memory_create(db_id, memory_id="alice-2", user_id="alice")
    memory_create(db_id, memory_id="bob-1", user_id="bob")
    # Standard input at its end, as cron's or `< /dev/null`: input() meets it for real.
    monkeypatch.setattr("sys.stdin", StringIO(""))

    with pytest.raises(CommandError) as refused:
        call_command(command, *COMMANDS[command], "--db-id", db_id, stdout=StringIO())

    assert str(refused.value) == (
        "Nothing answered the confirmation, so nothing was deleted: pass --yes."
    )
    assert memory_ids_in(db_id) == {"alice-1", "alice-2", "bob-1"}
    assert not MemoryDeletion.objects.exists()
