"""Some of the suite's own tests run again, in a process of their own, under what a host
changes once for a whole process (its settings module, its database driver)."""

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence

from tests.servers import ROOT


def assert_passed_again(
    tests: Sequence[str], *, suffix: str, options: Sequence[str] = (), env: Mapping[str, str] = {}
) -> None:
    """Run `tests` with pytest's `options` and the environment changed by `env`, on test
    databases of their own (their names end with `suffix`), and assert that they all pass."""
    databases = os.environ.get("AGENTOS_TEST_DB_SUFFIX", "") + suffix
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *options, "-p", "no:cacheprovider", "-q", *tests],
        cwd=ROOT,
        env={**os.environ, **env, "AGENTOS_TEST_DB_SUFFIX": databases},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
