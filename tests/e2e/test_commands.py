"""The deletion commands run where nobody can answer their question: cron, `< /dev/null`."""

import contextlib
import sqlite3
import subprocess
import sys

import pytest

from tests.e2e.test_http_server import memory_ids, seed
from tests.servers import ROOT, clean_environment

# Each command that asks before it deletes, for alice's memories.
ASKING = {
    "erase_user_memories": ["erase_user_memories", "alice"],
    "delete_memories": ["delete_memories", "--user-id", "alice"],
}


def manage(
    database: str, *args: str, stdin: int | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={
            **clean_environment(),
            "DATABASE_URL": f"sqlite:///{database}",
            "AGENTOS_JWT_SIGNING_KEY": "a-signing-key-for-this-test-only-0123456789",
        },
        stdin=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.mark.parametrize("command", ASKING.values(), ids=ASKING.keys())
def test_without_yes_and_nobody_to_answer_it_refuses_and_deletes_nothing(tmp_path, command):
    database = tmp_path / "db.sqlite3"
    assert manage(str(database), "migrate", "-v", "0").returncode == 0
    seeded = set(seed(database, "alice", "alice", "bob"))

    result = manage(str(database), *command, stdin=subprocess.DEVNULL)

    assert result.returncode == 1
    assert result.stdout.endswith(
        "Delete 2 memories permanently? This cannot be undone. Type 'yes' to go on: "
    )
    assert result.stderr == (
        "CommandError: Nothing answered the confirmation, so nothing was deleted: pass --yes.\n"
    )
    assert memory_ids(database) == seeded
    with contextlib.closing(sqlite3.connect(database)) as connection, connection:
        audited = connection.execute("SELECT count(*) FROM memories_memorydeletion").fetchone()
    assert audited == (0,)
