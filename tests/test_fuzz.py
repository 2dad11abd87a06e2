"""Schemathesis against the served /openapi.json: no 5xx, every response as documented."""

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import Server, project_server

# Examples per operation and phase: a bounded run here, a long one with `make fuzz`.
EXAMPLES = os.environ.get("AGENTOS_FUZZ_EXAMPLES", "25")
CHECKS = ",".join(
    [
        "not_a_server_error",
        "status_code_conformance",
        "content_type_conformance",
        "response_schema_conformance",
        "response_headers_conformance",
    ]
)
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
            "run",
            f"{server.base}/openapi.json",
            "--header",
            f"Authorization: {token}",
            "--checks",
            CHECKS,
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
        env={**os.environ, "NO_COLOR": "1"},
    )

    summary = result.stdout[-4000:]
    assert result.returncode == 0, summary
    assert "Tested: 10" in result.stdout, summary
    assert " passed" in result.stdout, summary
