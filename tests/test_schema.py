"""The generated OpenAPI document: the DELETE operation matches the contract exactly."""

import json
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command

CONTRACT = Path(__file__).parent / "contract"
SPEC = CONTRACT / "delete-memory.openapi.yaml"
CHECKER = CONTRACT / "openapi_match.py"


def run_checker(document: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECKER), str(SPEC), str(document)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture
def generated(tmp_path):
    path = tmp_path / "openapi.yaml"
    call_command("spectacular", "--file", str(path), "--validate", "--fail-on-warn")
    return path


def test_delete_operation_matches_the_contract(generated):
    result = run_checker(generated)

    assert "MISMATCH" not in result.stdout, result.stdout
    assert result.stdout.strip().endswith("aspects match")
    matched, total = result.stdout.split()[-3].split("/")
    assert matched == total
    assert result.returncode == 0


def test_served_document_matches_the_contract(client, tmp_path):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    path = tmp_path / "openapi.json"
    path.write_bytes(response.content)

    result = run_checker(path)

    assert result.returncode == 0, result.stdout


def test_checker_notices_a_difference(generated, tmp_path):
    # The checker must be able to fail: drop one response and it reports it.
    document = yaml.safe_load(generated.read_text())
    del document["paths"]["/memories/{memory_id}"]["delete"]["responses"]["422"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))

    result = run_checker(broken)

    assert result.returncode == 1
    assert "MISMATCH response codes" in result.stdout


def test_trailing_slash_route_is_not_documented_twice(generated):
    paths = yaml.safe_load(generated.read_text())["paths"]
    assert "/memories/{memory_id}" in paths
    assert "/memories/{memory_id}/" not in paths


def test_bearer_is_the_only_security(generated):
    document = yaml.safe_load(generated.read_text())
    operation = document["paths"]["/memories/{memory_id}"]["delete"]
    assert operation["security"] == [{"HTTPBearer": []}]
    assert document["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }


def test_spectacular_writes_to_stdout_without_warnings():
    out, err = StringIO(), StringIO()
    call_command("spectacular", "--format", "openapi-json", stdout=out, stderr=err)
    assert json.loads(out.getvalue())["openapi"] == "3.1.0"
    assert err.getvalue() == ""
