"""Schemathesis against the served /openapi.json: no 5xx, every response as documented, valid
data accepted and invalid data refused."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Server, project_server

# Examples per operation and phase: a bounded run here, a long one with `make fuzz`.
EXAMPLES = os.environ.get("AGENTOS_FUZZ_EXAMPLES", "25")
# Every check, positive-data acceptance and negative-data rejection included: the document
# states every rule the API enforces, and the API enforces every rule the document states.
CONFIG = Path(__file__).with_name("schemathesis.toml")
HOOKS = Path(__file__).with_name("schemathesis_hooks.py")
SCHEMATHESIS = Path(sys.executable).with_name("st")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    with project_server(tmp_path_factory.mktemp("fuzz")) as running:
        yield running


@pytest.mark.parametrize("admin", [False, True], ids=["regular-token", "admin-token"])
def test_every_operation_answers_as_documented(server, admin, tmp_path):
    token = server.bearer("fuzzer", admin=admin)["Authorization"]
    result = subprocess.run(
        [
            str(SCHEMATHESIS),
            "--config-file",
            str(CONFIG),
            "run",
            f"{server.base}/openapi.json",
            "--header",
            f"Authorization: {token}",
            "--checks",
            "all",
            "--max-examples",
            EXAMPLES,
            "--request-timeout",
            "20",
            "--report-dir",
            str(tmp_path),
        ],
        capture_output=True,
        text=True,
        timeout=1200,
        check=False,
        env={**os.environ, "NO_COLOR": "1", "SCHEMATHESIS_HOOKS": str(HOOKS)},
    )

    summary = result.stdout[-4000:]
    assert result.returncode == 0, summary
    assert "Tested: 12" in result.stdout, summary
    assert " passed" in result.stdout, summary
    assert "Schema validation mismatch" not in result.stdout, summary
