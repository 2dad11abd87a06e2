"""export_user_memories: NDJSON of one user's memories, to stdout or a file, audited."""

import io
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from memories.models import MemoryExport
from memories.targets import configured_tables
from tests.conftest import require_db_id
from tests.factories import memory_create

pytestmark = pytest.mark.django_db(databases="__all__")


def test_writes_every_memory_of_the_user_to_a_file(tmp_path):
    memory_create("default", memory_id="a1", user_id="alice", memory="likes tea")
    memory_create("lite", memory_id="a2", user_id="alice")
    memory_create("lite", memory_id="A3", user_id="Alice")
    out = StringIO()

    call_command(
        "export_user_memories", "alice", "--output", str(tmp_path / "a.ndjson"), stdout=out
    )

    lines = [json.loads(line) for line in (tmp_path / "a.ndjson").read_text().splitlines()]
    assert [(line["db_id"], line["memory_id"]) for line in lines] == [
        ("default", "a1"),
        ("lite", "a2"),
    ]
    assert lines[0]["memory"] == "likes tea" and lines[0]["table"] == "agno_memories"
    assert out.getvalue() == f"Exported 2 memories of 'alice' to {tmp_path / 'a.ndjson'}.\n"
    records = MemoryExport.objects.filter(count__gt=0).order_by("db_id")
    assert [(r.db_id, r.user_id, r.count, r.channel) for r in records] == [
        ("default", "alice", 1, "command"),
        ("lite", "alice", 1, "command"),
    ]


def test_writes_to_stdout_for_one_db_id(capsys):
    memory_create("lite", memory_id="a2", user_id="alice")
    memory_create("default", memory_id="a1", user_id="alice")
    out = StringIO()

    call_command("export_user_memories", "alice", "--db-id", "lite", stdout=out)

    assert [json.loads(line)["memory_id"] for line in out.getvalue().splitlines()] == ["a2"]
    assert "Exported 1 memory of 'alice' to standard output." in capsys.readouterr().err


@pytest.mark.parametrize("db_id", ["pg", "lite"])
def test_writes_utf_8_to_a_stdout_of_another_encoding(db_id):
    # PostgreSQL writes each line itself, characters beyond ASCII as UTF-8: a Latin-1 terminal
    # could not take the cup, and would have written the é as a byte no UTF-8 reader reads.
    require_db_id(db_id)
    memory_create(db_id, memory_id="a1", user_id="alice", memory="café ☕")
    stdout = io.TextIOWrapper(io.BytesIO(), encoding="latin-1")

    call_command("export_user_memories", "alice", "--db-id", db_id, stdout=stdout)

    stdout.flush()
    (line,) = stdout.buffer.getvalue().decode("utf-8").splitlines()
    assert json.loads(line)["memory"] == "café ☕"


# Real transactions: the broken connection is closed and reopened, no test transaction spans it.
@pytest.mark.django_db(transaction=True, databases="__all__")
def test_with_a_database_down_it_writes_the_others_then_fails_naming_it(down, tmp_path):
    memory_create("default", memory_id="a1", user_id="alice")
    memory_create("lite", memory_id="a2", user_id="alice")
    memory_create("lite", memory_id="b1", user_id="bob")
    output = tmp_path / "alice.ndjson"

    with pytest.raises(CommandError) as failed:
        call_command("export_user_memories", "alice", "--output", str(output), stdout=StringIO())

    message = str(failed.value)
    assert message.startswith(f"Exported 2 memories of 'alice' to {output}, but not everything")
    assert all(
        f"{down}/{table}: database unreachable (" in message for table in configured_tables(down)
    )
    *memories, last = [json.loads(line) for line in output.read_text().splitlines()]
    assert [line["memory_id"] for line in memories] == ["a1", "a2"]
    assert last["unreachable"] == [{"db_id": down, "table": t} for t in configured_tables(down)]
    unfinished = MemoryExport.objects.filter(finished=False)
    assert sorted((r.db_id, r.table_name, r.count) for r in unfinished) == [
        (down, table, 0) for table in sorted(configured_tables(down))
    ]
    exported = MemoryExport.objects.filter(finished=True, count__gt=0)
    assert sorted((r.db_id, r.count) for r in exported) == [("default", 1), ("lite", 1)]
