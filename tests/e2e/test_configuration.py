"""The bundled project's one configuration: the environment and the `.env` file, read alike by
the server and by every command."""

import contextlib
import json
import re
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from tests.e2e.test_http_server import memory_ids, seed
from tests.servers import ROOT, clean_environment, project_command

EXAMPLE = (ROOT / ".env.example").read_text()


def project_copy(folder: Path) -> Path:
    """The project's own files (manage.py, agentos/) in folder: its repository root."""
    shutil.copy(ROOT / "manage.py", folder / "manage.py")
    shutil.copytree(ROOT / "agentos", folder / "agentos")
    return folder


def manage(root: Path, *args: str, **variables: str) -> subprocess.CompletedProcess[str]:
    """manage.py in root (or `python -c CODE` for args `-c CODE`), with no configuration but
    root's .env file and variables."""
    env = clean_environment()
    del env["AGENTOS_ENV_FILE"]  # the .env file at root, as an operator's shell reads it
    return subprocess.run(
        [sys.executable, *(args if args[0] == "-c" else ["manage.py", *args])],
        cwd=root,
        env={**env, **variables},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_an_erasure_from_a_shell_covers_every_database_of_the_env_file(tmp_path):
    root = project_copy(tmp_path)
    (root / ".env").write_text(
        f"DATABASE_URL=sqlite:///{root / 'default.sqlite3'}\n"
        f"AGENTOS_MEMORY_DATABASES=extra=sqlite:///{root / 'extra.sqlite3'}\n"
        "AGENTOS_JWT_SIGNING_KEY='a-signing-key-from-the-env-file-0123456789'\n"
    )
    assert manage(root, "migrate", "-v", "0").returncode == 0
    assert manage(root, "migrate_memory_databases", "-v", "0").returncode == 0
    seed(root / "default.sqlite3", "alice", "bob")
    seed(root / "extra.sqlite3", "alice", "alice")

    result = manage(root, "erase_user_memories", "alice", "--yes")

    assert result.returncode == 0, result.stderr
    plan = result.stdout.splitlines()[:3]
    assert plan == [
        "Memories of 'alice' to delete:",
        f"  {'default':<16} {'agno_memories':<32} 1",
        f"  {'extra':<16} {'agno_memories':<32} 2",
    ]
    assert "Deleted 3 memories of 'alice'." in result.stdout
    assert len(memory_ids(root / "default.sqlite3")) == 1  # bob's
    assert memory_ids(root / "extra.sqlite3") == set()
    with contextlib.closing(sqlite3.connect(root / "default.sqlite3")) as connection, connection:
        records = connection.execute(
            "SELECT db_id, count FROM memories_memorydeletion ORDER BY db_id"
        ).fetchall()
    assert records == [("default", 1), ("extra", 2)]


def test_the_environment_wins_over_the_env_file(tmp_path):
    root = project_copy(tmp_path)
    (root / ".env").write_text(
        "AGENTOS_MEMORY_DATABASES=filed=sqlite:///filed.sqlite3\n"
        'AGENTOS_THROTTLE_RATE="5/minute"\n'
    )
    code = (
        "import django; django.setup(); from django.conf import settings; "
        "print(sorted(settings.MEMORIES['DATABASES']), settings.MEMORIES['THROTTLE_RATE'], "
        "settings.ENV_FILE)"
    )

    from_file = manage(root, "-c", code)
    from_environment = manage(
        root, "-c", code, AGENTOS_MEMORY_DATABASES="set=sqlite:///set.sqlite3"
    )

    assert from_file.stdout.split() == ["['default',", "'filed']", "5/minute", str(root / ".env")]
    assert from_environment.stdout.split()[:2] == ["['default',", "'set']"]


def test_a_named_env_file_must_exist(tmp_path):
    result = project_command(
        [sys.executable, "manage.py", "check"], AGENTOS_ENV_FILE=str(tmp_path / "absent.env")
    )

    assert result.returncode != 0
    assert f"AGENTOS_ENV_FILE: no file at {tmp_path / 'absent.env'}" in result.stderr


def test_env_example_names_every_variable_the_project_reads():
    settings = (ROOT / "agentos" / "settings.py").read_text()
    settings += (ROOT / "agentos" / "environment.py").read_text()
    serve = (ROOT / "bin" / "serve").read_text()
    read = set(re.findall(r'"((?:DJANGO|AGENTOS|DATABASE)_[A-Z_]+)"', settings))
    read |= set(re.findall(r"\$\{([A-Z_]+):-", serve))
    example = set(re.findall(r"^#?([A-Z][A-Z_]+)=", EXAMPLE, flags=re.MULTILINE))

    assert {"AGENTOS_MEMORY_DATABASES", "AGENTOS_CACHE_URL", "PORT"} <= read
    # The file cannot name another file to read, nor the interpreter that reads it.
    assert read - {"AGENTOS_ENV_FILE", "AGENTOS_PYTHON"} == example


def test_the_env_file_is_not_committed():
    ignored = subprocess.run(
        ["git", "check-ignore", "-q", ".env"], cwd=ROOT, check=False, timeout=30
    )
    assert ignored.returncode == 0


# What an operator may leave in AGENTOS_MEMORY_RETENTION, and the one line that says so.
BAD_RETENTION = {
    "not-json": (
        '[{"db_id": ',
        "AGENTOS_MEMORY_RETENTION: not valid JSON (Expecting value: line 1 column 11 (char 10))",
    ),
    "an-object": (
        '{"db_id": "default", "max_age_days": 30}',
        "AGENTOS_MEMORY_RETENTION: expected a JSON list, got dict",
    ),
    "a-string": ('"30 days"', "AGENTOS_MEMORY_RETENTION: expected a JSON list, got str"),
}
# `check`, the cron command, and `make run` (bin/serve), which migrates before it serves.
PROJECT_COMMANDS = {
    "check": [sys.executable, "manage.py", "check"],
    "cron": [sys.executable, "manage.py", "apply_memory_retention"],
    "make-run": ["bin/serve"],
}


@pytest.mark.parametrize("command", PROJECT_COMMANDS.values(), ids=PROJECT_COMMANDS.keys())
@pytest.mark.parametrize(("value", "error"), BAD_RETENTION.values(), ids=BAD_RETENTION.keys())
def test_a_retention_variable_that_is_no_json_list_is_named_in_one_line(
    tmp_path, command, value, error
):
    result = project_command(
        command,
        AGENTOS_MEMORY_RETENTION=value,
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        DJANGO_SECRET_KEY="a-secret-key-for-this-test-only-0123456789",
        AGENTOS_JWT_SIGNING_KEY="a-signing-key-for-this-test-only-0123456789",
    )

    assert result.returncode == 1
    assert result.stderr == f"Error: {error}\n"
    assert not (tmp_path / "db.sqlite3").exists()  # nothing ran


@pytest.mark.parametrize("command", ["check", "apply_memory_retention"])
def test_retention_rules_of_the_wrong_shape_are_check_errors(tmp_path, command):
    rules = [{"db_id": ["default"], "max_age_days": 30}, 7, {"db_id": "default", "age_of": []}]

    result = project_command(
        [sys.executable, "manage.py", command],
        AGENTOS_MEMORY_RETENTION=json.dumps(rules),
        DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}",
        AGENTOS_JWT_SIGNING_KEY="a-signing-key-for-this-test-only-0123456789",
    )

    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if "memories.E007" in line]
    assert errors == [
        "?: (memories.E007) MEMORIES['RETENTION'][0]: db_id ['default'] is not a configured "
        "db_id.",
        "?: (memories.E007) MEMORIES['RETENTION'][1]: a rule must be a dict.",
        "?: (memories.E007) MEMORIES['RETENTION'][2]: age_of must be one of updated_at, "
        "created_at.",
        "?: (memories.E007) MEMORIES['RETENTION'][2]: max_age_days must be a whole number of "
        "days, at least 1.",
    ]
