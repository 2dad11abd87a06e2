"""Request bodies: bounded JSON nesting, and bodies without a Content-Length."""

import codecs
import encodings
import encodings.aliases
import json
import logging
import pkgutil

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from memories.conf import memories_settings
from memories.parsers import _STRING, MAX_JSON_DEPTH, _scanned_depth_exceeds, json_depth_exceeds
from memories.selectors import memory_get
from tests.factories import memory_create, memory_ids_in, target

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


# Where the old guard's string pattern failed, then was tried again from each quote inside
# the string: an unclosed string of escaped quotes, and its neighbours.
UNCLOSED = ['"' + '\\"' * 50, '["' + '\\"' * 50 + "[[[", '"\\', '"ab\\\\\\"']


class LinearityTests:
    """The guard reads a body in passes that each read every character once: a search for
    a string tries each character where no string starts once and fails at once, and a
    string, matched possessively (never backtracked into), cannot fail once started, so no
    attempt is made again over characters an attempt has read. Proven on the pattern, not
    timed: a pattern that fails after its first character is what made the guard quadratic."""

    @given(text=st.text(alphabet='"\\[]{}a\n', max_size=40))
    @example(text=UNCLOSED[0])
    @example(text=UNCLOSED[1])
    @example(text=UNCLOSED[2])
    def test_a_string_starts_at_every_quote_and_nowhere_else(self, text):
        for position, character in enumerate(text):
            string = _STRING.match(text, position)

            assert (string is not None) is (character == '"')

    @given(text=st.text(alphabet='"\\[]{}a\n', max_size=40))
    def test_a_string_ends_at_its_closing_quote_or_at_the_end(self, text):
        for position in (index for index, character in enumerate(text) if character == '"'):
            string = _STRING.match(text, position)
            assert string is not None
            end = string.end()
            inside = text[position + 1 : end]

            closed = end > position + 1 and text[end - 1] == '"' and _escapes_end(inside[:-1])
            # Unclosed: to the end, but for a last backslash that escapes nothing.
            assert closed or end == len(text) or (end == len(text) - 1 and text[-1] == "\\")
            assert '"' not in _unescaped(inside[:-1] if closed else inside)

    @pytest.mark.parametrize("text", UNCLOSED)
    def test_a_string_that_never_closes_is_read_to_the_end_once(self, text):
        string = _STRING.match(text, text.index('"'))

        assert string is not None
        assert string.end() == len(text) - text.endswith('"\\')


def _unescaped(text: str) -> str:
    """text without its escape pairs (a backslash and what follows)."""
    out, position = [], 0
    while position < len(text):
        if text[position] == "\\":
            position += 2
            continue
        out.append(text[position])
        position += 1
    return "".join(out)


def _escapes_end(text: str) -> bool:
    """Whether text ends outside an escape: an even run of backslashes at its end."""
    return (len(text) - len(text.rstrip("\\"))) % 2 == 0


def _padding(size: int) -> str:
    """A JSON string of about size characters full of what the guard must not count:
    brackets and escaped quotes and backslashes."""
    return json.dumps('[{"\\' * (size // 7))


# Bodies up to the largest allowed (MAX_BODY_SIZE, 2 MiB); tests/test_limits.py refuses more.
SIZES = {"256KiB": 256 * 1024, "1MiB": 1024 * 1024, "2MiB": 2 * 1024 * 1024 - 1024}


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
class LargeBodyTests:
    def test_nesting_at_the_limit_beside_a_large_string_is_parsed(self, as_user, size):
        extra = "[" * (MAX_JSON_DEPTH - 1) + _padding(size) + "]" * (MAX_JSON_DEPTH - 1)
        body = '{"memory": "m", "extra": ' + extra + "}"
        assert len(body.encode()) <= memories_settings.MAX_BODY_SIZE

        response = as_user("alice").post("/memories", body, content_type="application/json")

        assert response.status_code == 201
        assert len(memory_ids_in("default")) == 1

    def test_nesting_past_the_limit_beside_a_large_string_is_a_400(self, as_user, size):
        extra = "[" * MAX_JSON_DEPTH + _padding(size) + "]" * MAX_JSON_DEPTH
        body = '{"memory": "m", "extra": ' + extra + "}"

        response = as_user("alice").post("/memories", body, content_type="application/json")

        assert response.status_code == 400
        assert response.json() == {
            "detail": f"JSON parse error - nested deeper than {MAX_JSON_DEPTH} levels",
            "error_code": "BAD_REQUEST",
        }
        assert memory_ids_in("default") == set()

    @pytest.mark.parametrize(
        "string",
        ['\\"' * 4, "\\" * 8, '\\"[{' * 2],
        ids=["escaped-quotes", "backslashes", "escaped-quotes-and-brackets"],
    )
    def test_a_string_that_never_closes_is_a_400(self, as_user, size, string):
        body = '{"memory": "m", "extra": [[[["' + string * (size // len(string))
        body += "[" * (MAX_JSON_DEPTH + 1)  # inside the string: they count for nothing

        response = as_user("alice").post("/memories", body, content_type="application/json")

        assert response.status_code == 400
        assert response.json()["detail"].startswith("JSON parse error - Unterminated string")
        assert response.json()["error_code"] == "BAD_REQUEST"
        assert memory_ids_in("default") == set()


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


def non_text_codecs() -> list[str]:
    """Every name in Python's encodings package (module or alias) of a codec that is not a
    text encoding: zlib_codec, zlib, zip, base64, hex, rot13, uu, quopri, bz2..."""
    names = {module.name for module in pkgutil.iter_modules(encodings.__path__)}
    names |= set(encodings.aliases.aliases)
    found = []
    for name in sorted(names):
        try:
            codec = codecs.lookup(name)
        except LookupError:
            continue  # a codec of another platform (mbcs, oem: Windows only)
        if not codec._is_text_encoding:
            found.append(name)
    return found


NON_TEXT_CODECS = non_text_codecs()

# Every operation that reads a body, and what it would have done with a readable one.
BODY_OPERATIONS = {
    "create": ("POST", "/memories", {"memory": "m"}),
    "update": ("PATCH", "/memories/m1", {"memory": "changed"}),
    "bulk-delete": ("DELETE", "/memories", {"memory_ids": ["m1"]}),
    "delete-by-filter": ("POST", "/memory_deletions", {"user_id": "alice", "dry_run": False}),
}


def test_the_codecs_tested_include_those_reported():
    reported = {"zlib_codec", "bz2_codec", "base64_codec", "hex_codec", "rot13", "uu_codec"}

    assert reported | {"zlib", "base64", "hex", "quopri_codec", "rot_13"} <= {*NON_TEXT_CODECS}


@pytest.mark.parametrize("operation", BODY_OPERATIONS.values(), ids=BODY_OPERATIONS.keys())
@pytest.mark.parametrize("charset", NON_TEXT_CODECS)
def test_a_charset_that_is_no_text_encoding_is_415(as_user, charset, operation):
    method, path, body = operation
    memory_create(memory_id="m1", user_id="alice", memory="kept")

    response = as_user("root", admin=True).generic(
        method, path, json.dumps(body), f"application/json; charset={charset}"
    )

    assert response.status_code == 415
    assert response.json() == {
        "detail": f'Unsupported charset "{charset}": a JSON body must be in a text encoding, '
        "such as utf-8",
        "error_code": "UNSUPPORTED_MEDIA_TYPE",
    }
    assert memory_ids_in("default") == {"m1"}
    assert memory_get(target=target("default"), memory_id="m1", user_id=None).memory == "kept"


@pytest.mark.parametrize("charset", ["utf-16", "latin-1", "utf-8-sig", "UTF8"])
def test_a_body_in_a_text_encoding_is_read_in_it(as_user, charset):
    body = json.dumps({"memory": "thé"}, ensure_ascii=False).encode(charset)

    response = as_user("alice").post(
        "/memories", body, content_type=f"application/json; charset={charset}"
    )

    assert response.status_code == 201
    assert response.json()["memory"] == "thé"
