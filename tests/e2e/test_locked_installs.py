"""Each lock installs exactly what it pins, whatever the index offers on the day: the install
step the Makefile runs (bin/install-lock) is run into a brand-new virtualenv with a package
index that offers a newer release of every locked package, and the virtualenv ends up with
the locked versions and nothing else.

The newer releases are real wheels in a local --find-links folder, each named and versioned
past its locked release and declaring extras, as a release published after the lock would
be (the one that broke `make test` was httpx 0.29.0, asked for as httpx[http2] by agno)."""

import base64
import hashlib
import json
import os
import re
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from tests.e2e.distribution import copy_sources
from tests.servers import ROOT

# The interpreter each lock is written for (the Makefile's `lock` target); each test pass
# installs the locks of its own interpreter, so the two passes together install every lock.
LOCK_PYTHONS = {
    "run.txt": "3.11",
    "test-django5.2-py3.11.txt": "3.11",
    "test-django6-py3.13.txt": "3.13",
}
THIS_PYTHON = f"{sys.version_info.major}.{sys.version_info.minor}"
NEWER = "999.0.0"

# A lock entry: `name==version`, with an environment marker when it applies to some only.
ENTRY = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def normalized(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_entries(lock: Path) -> list[tuple[str, str, str | None]]:
    """(name, version, marker) for each package the lock pins."""
    return [
        (normalized(match[1]), match[2], match[3])
        for line in lock.read_text().splitlines()
        if (match := ENTRY.match(line))
    ]


def newer_release(folder: Path, name: str) -> None:
    """A wheel of `name` at a version past any real one, with extras, in folder."""
    dist = re.sub(r"[-_.]+", "_", name)
    info = f"{dist}-{NEWER}.dist-info"
    files = {
        f"{info}/METADATA": (
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {NEWER}\n"
            "Provides-Extra: http2\nProvides-Extra: binary\nProvides-Extra: crypto\n"
        ),
        f"{info}/WHEEL": "Wheel-Version: 1.0\nGenerator: tests\nRoot-Is-Purelib: true\n"
        "Tag: py3-none-any\n",
    }
    record = []
    with zipfile.ZipFile(folder / f"{dist}-{NEWER}-py3-none-any.whl", "w") as wheel:
        for path, text in files.items():
            wheel.writestr(path, text)
            digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest())
            record.append(f"{path},sha256={digest.rstrip(b'=').decode()},{len(text)}")
        wheel.writestr(f"{info}/RECORD", "\n".join([*record, f"{info}/RECORD,,"]) + "\n")


def run(*command: str | Path, env: dict[str, str] | None = None, stdin: str | None = None) -> str:
    result = subprocess.run(
        [str(part) for part in command],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def test_every_lock_is_installed_by_one_of_the_passes():
    locks = {path.name for path in (ROOT / "requirements").glob("*.txt")}

    # uv.txt pins the lock writer alone; the tools' virtualenv installs it the same way.
    assert locks - {"uv.txt"} == set(LOCK_PYTHONS)
    assert set(LOCK_PYTHONS.values()) == {"3.11", "3.13"}


@pytest.mark.parametrize(
    "lock", [name for name, python in LOCK_PYTHONS.items() if python == THIS_PYTHON]
)
def test_a_lock_installs_its_own_versions_when_the_index_offers_newer_ones(lock, tmp_path):
    lock_path = ROOT / "requirements" / lock
    entries = lock_entries(lock_path)
    assert len(entries) > 20, entries
    newer = tmp_path / "newer-releases"
    newer.mkdir()
    for name, _, _ in entries:
        newer_release(newer, name)
    venv = tmp_path / "venv"
    run(sys.executable, "-m", "venv", venv)
    python = venv / "bin" / "python"
    env = {
        **os.environ,
        # Beside whatever this machine's pip already looks at.
        "PIP_FIND_LINKS": " ".join(filter(None, [os.environ.get("PIP_FIND_LINKS"), str(newer)])),
    }
    # The index really offers the newer releases: pip picks one for a request of its own.
    report = run(
        python,
        "-m",
        "pip",
        "install",
        "--dry-run",
        "--quiet",
        "--no-deps",
        "--report",
        "-",
        "django",
        env=env,
    )
    assert [item["metadata"]["version"] for item in json.loads(report)["install"]] == [NEWER]

    run(ROOT / "bin" / "install-lock", venv, lock_path, copy_sources(tmp_path), env=env)

    installed = {
        normalized(package["name"]): package["version"]
        for package in json.loads(run(python, "-m", "pip", "list", "--format=json"))
    }
    applies = json.loads(
        run(
            python,
            "-c",
            "import json, sys\n"
            "from pip._vendor.packaging.markers import Marker\n"
            "print(json.dumps([not m or Marker(m).evaluate() for m in json.load(sys.stdin)]))",
            stdin=json.dumps([marker for _, _, marker in entries]),
        )
    )
    expected = {
        name: version
        for (name, version, _), applied in zip(entries, applies, strict=True)
        if applied
    }
    assert installed.pop("agentos-memories") == "0.1.0"
    # pip itself comes with the virtualenv, at the version the interpreter brings.
    installed.pop("pip")
    assert installed == expected
