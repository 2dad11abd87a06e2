"""The API's own tests, run again in a host whose REST_FRAMEWORK defaults differ from DRF's in
every way the memory API must not follow (tests/settings_host_defaults.py): authentication,
permissions, pagination, renderers, parsers, negotiation, versioning, throttles, metadata,
exception handler, formats; and whose requests each run in a transaction (ATOMIC_REQUESTS). A
process of their own, since DRF's APIView takes most of these defaults once, when it is
imported."""

import os
import subprocess
import sys

from tests.servers import ROOT

# The tests of every endpoint's answers, its tokens and its documents.
API_TESTS = [
    "tests/test_views",
    "tests/test_authentication.py",
    "tests/test_docs.py",
    "tests/test_atomic_requests.py",
]


def test_the_api_answers_as_documented_whatever_the_hosts_drf_defaults():
    suffix = os.environ.get("AGENTOS_TEST_DB_SUFFIX", "")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "--ds=tests.settings_host_defaults",
            "-p",
            "no:cacheprovider",
            "-q",
            *API_TESTS,
        ],
        cwd=ROOT,
        env={**os.environ, "AGENTOS_TEST_DB_SUFFIX": f"{suffix}_host_defaults"},
        capture_output=True,
        text=True,
        timeout=900,
        check=False,
    )

    assert result.returncode == 0, result.stdout[-5000:] + result.stderr[-2000:]
    assert " passed" in result.stdout and " failed" not in result.stdout
