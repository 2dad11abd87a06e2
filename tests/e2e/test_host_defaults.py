"""The API's own tests, run again in a host whose REST_FRAMEWORK defaults differ from DRF's in
every way the memory API must not follow (tests/settings_host_defaults.py): authentication,
permissions, pagination, renderers, parsers, negotiation, versioning, throttles, metadata,
exception handler, formats; and whose requests each run in a transaction (ATOMIC_REQUESTS). A
process of their own, since DRF's APIView takes most of these defaults once, when it is
imported."""

from tests.e2e.reruns import assert_passed_again

# The tests of every endpoint's answers, its tokens and its documents.
API_TESTS = [
    "tests/test_views",
    "tests/test_authentication.py",
    "tests/test_docs.py",
    "tests/test_atomic_requests.py",
]


def test_the_api_answers_as_documented_whatever_the_hosts_drf_defaults():
    assert_passed_again(
        API_TESTS, suffix="_host_defaults", options=["--ds=tests.settings_host_defaults"]
    )
