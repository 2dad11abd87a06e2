"""The generated OpenAPI document: valid, committed as tests/openapi.yaml, and its DELETE
operation matches the contract."""

import difflib
import json
import subprocess
import sys
from pathlib import Path

import pytest
import yaml
from drf_spectacular.drainage import GENERATOR_STATS
from drf_spectacular.validation import validate_schema

from tests.documents import SNAPSHOT, generate_document

CONTRACT = Path(__file__).parent / "contract"
SPEC = CONTRACT / "delete-memory.openapi.yaml"
CHECKER = CONTRACT / "openapi_match.py"


def run_checker(document: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECKER), str(SPEC), str(document)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


def assert_all_aspects_match(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stdout + result.stderr
    assert "MISMATCH" not in result.stdout
    last = result.stdout.strip().splitlines()[-1]
    assert last.endswith("aspects match"), last
    matched, total = last.split()[-3].split("/")
    assert int(total) > 0
    assert matched == total


def api_operations(document: dict) -> list[tuple[str, str, dict]]:
    return [
        (path, method, operation)
        for path, operations in document["paths"].items()
        for method, operation in operations.items()
    ]


@pytest.fixture
def generated(tmp_path: Path) -> Path:
    path = tmp_path / "openapi.yaml"
    generate_document(path)
    return path


@pytest.fixture
def document(generated: Path):
    return yaml.safe_load(generated.read_text())


def test_delete_operation_matches_the_contract(generated):
    assert_all_aspects_match(run_checker(generated))


def test_served_document_matches_the_contract(client, tmp_path):
    response = client.get("/openapi.json")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    path = tmp_path / "openapi.json"
    path.write_bytes(response.content)

    assert_all_aspects_match(run_checker(path))
    validate_schema(json.loads(response.content))


def test_snapshot_is_the_document_the_code_generates(generated):
    # Every change to the public contract shows in review as a change of tests/openapi.yaml.
    expected, actual = SNAPSHOT.read_text(), generated.read_text()
    if actual != expected:
        diff = difflib.unified_diff(
            expected.splitlines(),
            actual.splitlines(),
            "tests/openapi.yaml",
            "generated",
            n=2,
            lineterm="",
        )
        pytest.fail(
            "The OpenAPI document changed: run `make openapi` and commit tests/openapi.yaml.\n"
            + "\n".join(list(diff)[:60])
        )


def test_checker_notices_a_difference(document, tmp_path):
    # The checker must be able to fail: drop one response and it reports it.
    del document["paths"]["/memories/{memory_id}"]["delete"]["responses"]["422"]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(document))

    result = run_checker(broken)

    assert result.returncode == 1
    assert "MISMATCH response codes" in result.stdout
    matched, total = result.stdout.strip().splitlines()[-1].split()[-3].split("/")
    assert int(matched) < int(total)


def test_document_validates_without_warnings_or_errors(tmp_path, capsys):
    # Generator warnings are counted process-wide: count only this generation's.
    GENERATOR_STATS.reset()
    path = tmp_path / "openapi.yaml"

    # --fail-on-warn raises on any warning or error; --validate checks it against the
    # OpenAPI meta-schema.
    generate_document(path, "--validate", "--fail-on-warn")

    assert capsys.readouterr().err == ""
    assert not GENERATOR_STATS
    assert yaml.safe_load(path.read_text())["openapi"] == "3.1.0"


def test_trailing_slash_routes_are_not_documented_twice(document):
    paths = document["paths"]

    # Every route also answers with a trailing slash; the document lists each one once.
    assert [path for path in paths if path.endswith("/")] == []
    assert sorted((path, method) for path, method, _ in api_operations(document)) == [
        ("/health", "get"),
        ("/memories", "delete"),
        ("/memories", "get"),
        ("/memories", "post"),
        ("/memories/{memory_id}", "delete"),
        ("/memories/{memory_id}", "get"),
        ("/memories/{memory_id}", "patch"),
        ("/memory_deletions", "post"),
        ("/memory_export", "get"),
        ("/memory_topics", "get"),
        ("/optimize-memories", "post"),
        ("/readyz", "get"),
        ("/user_memory_stats", "get"),
    ]
    operation_ids = [operation["operationId"] for _, _, operation in api_operations(document)]
    assert len(set(operation_ids)) == len(operation_ids)


def test_bearer_is_the_only_security_without_anonymous_alternative(document):
    assert "security" not in document  # no global default that could add `{}`
    assert document["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
    }
    for path, method, operation in api_operations(document):
        if path == "/optimize-memories":
            continue  # not provided: the same 501 with a token or without
        if path in ("/health", "/readyz"):
            assert "security" not in operation  # probes need no token
            continue
        assert operation["security"] == [{"HTTPBearer": []}], (method, path)


def test_optimize_memories_is_documented_as_not_provided(document):
    operation = document["paths"]["/optimize-memories"]["post"]

    assert operation["operationId"] == "optimize_memories"  # Agno's client method's name
    assert "security" not in operation
    assert list(operation["responses"]) == ["501"]
    example = operation["responses"]["501"]["content"]["application/json"]["examples"]
    assert next(iter(example.values()))["value"]["error_code"] == "NOT_IMPLEMENTED"
    assert "/agents, /teams" in operation["description"]


def test_delete_documents_every_status_of_the_contract(document):
    responses = document["paths"]["/memories/{memory_id}"]["delete"]["responses"]

    assert sorted(responses) == ["204", "400", "401", "404", "422", "500"]
    assert "content" not in responses["204"]
