"""Schemathesis hooks for tests/e2e/test_fuzz.py: rules between parameters, which an OpenAPI
document states only in words, kept out of the data the fuzzer calls valid.

Each rule still has tests of its own (tests/test_views/); without these
hooks most generated requests of an operation break one of them, and schemathesis reads
that as a document looser than the API.
"""

from typing import Any

import hypothesis
import schemathesis

# Schemathesis asks Hypothesis to lean towards inputs an operation accepts (`target()`), and
# Hypothesis's optimiser then fails now and again inside itself ("IndexError: tuple index out
# of range" in conjecture/optimiser.py), ending the run with a runtime error while every check
# passed. Without targets no optimiser runs; the generation and every check stay as they were.
hypothesis.target = lambda observation, *, label="": observation


@schemathesis.hook
def filter_case(context: Any, case: Any) -> bool:
    query = case.query or {}
    # `table` needs `db_id` (400 BAD_REQUEST).
    if "table" in query and "db_id" not in query:
        return False
    # A user_id in the query string and one in the body must agree (400 BAD_REQUEST).
    body = case.body if isinstance(case.body, dict) else {}
    in_query, in_body = query.get("user_id"), body.get("user_id")
    return in_query is None or in_body is None or in_query == in_body
