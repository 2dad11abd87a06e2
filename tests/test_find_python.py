"""bin/find-python: the interpreter of each version `make test` runs the suite on, or a loud
failure (a matrix that quietly skipped a version would pass for a full one)."""

import os
import subprocess
import sys

from tests.servers import ROOT

RUNNING = f"{sys.version_info.major}.{sys.version_info.minor}"
OTHER = "3.12" if RUNNING != "3.12" else "3.13"


def find_python(version: str, **variables: str) -> subprocess.CompletedProcess[str]:
    named = f"PYTHON{version.replace('.', '')}"
    env = {key: value for key, value in os.environ.items() if key != named}
    return subprocess.run(
        [str(ROOT / "bin" / "find-python"), version],
        env={**env, **variables},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def version_of(python: str) -> str:
    code = "import sys; print('%d.%d' % sys.version_info[:2])"
    return subprocess.run([python, "-c", code], capture_output=True, text=True, check=True).stdout


def test_the_interpreter_found_has_the_version_asked_for():
    result = find_python(RUNNING)

    assert result.returncode == 0, result.stderr
    assert version_of(result.stdout.strip()).strip() == RUNNING


def test_a_missing_version_fails_and_says_so():
    result = find_python("3.99")

    assert result.returncode == 1
    assert result.stdout == ""
    assert "No Python 3.99 found" in result.stderr
    assert "PYTHON399=/path/to/python3.99" in result.stderr


def test_a_named_interpreter_of_another_version_fails_without_looking_further():
    result = find_python(OTHER, **{f"PYTHON{OTHER.replace('.', '')}": sys.executable})

    assert result.returncode == 1
    assert f"looked at: PYTHON{OTHER.replace('.', '')}={sys.executable}" in result.stderr
