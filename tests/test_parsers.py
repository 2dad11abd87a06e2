"""Request bodies: bounded JSON nesting, and bodies without a Content-Length."""

import json
import logging

import pytest
from hypothesis import given
from hypothesis import strategies as st

from memories.parsers import MAX_JSON_DEPTH, _scanned_depth_exceeds, json_depth_exceeds
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(databases="__all__")


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# Nested lists and objects whose strings are full of brackets, quotes and backslashes.
_TEXT = st.text(alphabet='[]{}"\\ab', max_size=6)
JSON_VALUES = st.recursive(
    st.none() | st.integers() | _TEXT,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_TEXT, inner, max_size=4),
    max_leaves=30,
)


def depth_of(value: object) -> int:
    if isinstance(value, list):
        return 1 + max(map(depth_of, value), default=0)
    if isinstance(value, dict):
        return 1 + max(map(depth_of, value.values()), default=0)
    return 0


class DepthTests:
    @pytest.mark.parametrize(
        "text, depth",
        [
            ('{"a": [1, {"b": []}]}', 4),
            ('"[[[[[" ', 0),
            ('["\\"[[[", "\\\\", {}]', 2),
            ('{"k": "}}}]]]"}', 1),
        ],
    )
    def test_brackets_inside_strings_count_for_nothing(self, text, depth):
        assert not json_depth_exceeds(text, depth)
        assert json_depth_exceeds(text, depth - 1) is (depth > 0)

    def test_deep_nesting_is_found_without_recursion(self):
        assert json_depth_exceeds(nested(100_000), MAX_JSON_DEPTH)

    @given(value=JSON_VALUES, limit=st.integers(min_value=0, max_value=8))
    def test_counting_brackets_first_decides_as_the_scan_and_the_decoder(self, value, limit):
        text = json.dumps(value, ensure_ascii=False)

        assert json_depth_exceeds(text, limit) is _scanned_depth_exceeds(text, limit)
        assert json_depth_exceeds(text, limit) is (depth_of(value) > limit)


@pytest.mark.parametrize(
    "method, path",
    [("post", "/memories"), ("patch", "/memories/m1"), ("delete", "/memories")],
)
def test_deeply_nested_json_is_a_400_and_logs_no_error(as_user, caplog, method, path):
    memory_create(memory_id="m1", user_id="alice", memory="kept")
    body = '{"memory_ids": ' + nested(950) + "}"  # about 2 KB

    with caplog.at_level(logging.INFO):
        response = getattr(as_user("alice"), method)(path, body, content_type="application/json")

    assert response.status_code == 400
    assert response.json() == {
        "detail": f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels",
        "error_code": "BAD_REQUEST",
    }
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    assert memory_ids_in("default") == {"m1"}


def test_nesting_up_to_the_limit_is_parsed(as_user):
    body = {"memory": "m", "topics": ["t"], "extra": json.loads(nested(MAX_JSON_DEPTH - 1))}

    response = as_user("alice").post("/memories", body, format="json")

    assert response.status_code == 201


@pytest.mark.parametrize(
    "body", [b'{"memory": "\xff"}', b"\xef\xbb\xbf{}", b'{"memory": NaN}', b"{"]
)
def test_malformed_bodies_are_400(as_user, body):
    response = as_user("alice").post("/memories", body, content_type="application/json")

    assert response.status_code == 400
    assert response.json()["error_code"] == "BAD_REQUEST"
    assert memory_ids_in("default") == set()


def test_an_unknown_charset_is_read_as_utf8(as_user):
    # Django keeps a request's charset only when Python knows it.
    response = as_user("alice").post(
        "/memories", b'{"memory": "m"}', content_type="application/json; charset=no-such"
    )

    assert response.status_code == 201


def test_a_chunked_body_is_411_and_changes_nothing(as_user):
    memory_create(memory_id="m1", user_id="alice")

    response = as_user("alice").generic(
        "DELETE",
        "/memories",
        b'{"memory_ids": ["m1"]}',
        "application/json",
        HTTP_TRANSFER_ENCODING="chunked",
    )

    assert response.status_code == 411
    assert response.json() == {
        "detail": "A request body needs a Content-Length header; chunked bodies are refused",
        "error_code": "LENGTH_REQUIRED",
    }
    assert memory_ids_in("default") == {"m1"}
