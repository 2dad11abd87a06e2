"""Arbitrary text (lone surrogates, NUL, controls, very long values) through every endpoint,
every engine, the query string, the path, the body, the token's claims and the headers: never
a 5xx, always the documented error shape, and nothing changed by a request refused."""

import base64
import hmac
import json
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote, urlencode

import pytest
from django.conf import settings as django_settings
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from rest_framework.test import APIClient

from memories.models import MemoryDeletion
from tests.conftest import ALL_DB_IDS, mint, require_db_id
from tests.factories import memory_create, model_of

pytestmark = pytest.mark.django_db(databases="__all__")

EXAMPLES = int(os.environ.get("AGENTOS_PROPERTY_EXAMPLES", "40"))
HOSTILE_SETTINGS = settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Every code point, lone surrogates included, with what breaks databases made likely.
ANY_CHARACTER = st.characters(exclude_categories=()) | st.sampled_from(
    ["\x00", "\ud800", "\udfff", "\x7f", "\n", " ", "\u00a0", ",", "%", "'", '"', "\\", "😀"]
)
HOSTILE_TEXT = st.one_of(
    st.text(ANY_CHARACTER, max_size=20),
    st.text(ANY_CHARACTER, min_size=250, max_size=300),
    st.builds(lambda char, count: char * count, ANY_CHARACTER, st.integers(250, 6000)),
    st.integers(-(10**30), 10**30).map(str),
    st.sampled_from(["alice", "m1", "agno_memories", "updated_at", "asc", "1", "0", "-1"]),
)
JSON_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | HOSTILE_TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(HOSTILE_TEXT, children),
    max_leaves=8,
)
QUERY_NAMES = [
    "user_id",
    "agent_id",
    "team_id",
    "topics",
    "search_content",
    "sort_by",
    "sort_order",
    "limit",
    "page",
    "table",
    "all_databases",
]
BODY_NAMES = ["memory", "user_id", "topics", "agent_id", "team_id", "memory_ids"]
BODY_NAMES += ["dry_run", "updated_before", "created_before", "db_id", "table"]
ENDPOINTS = [
    ("get", "/memories"),
    ("post", "/memories"),
    ("delete", "/memories"),
    ("get", "/memories/{id}"),
    ("patch", "/memories/{id}"),
    ("delete", "/memories/{id}"),
    ("get", "/memory_topics"),
    ("get", "/user_memory_stats"),
    ("get", "/memory_export"),
    ("post", "/memory_deletions"),
]
SEEDED = ["m1", "m2", "m3"]


@pytest.fixture(params=ALL_DB_IDS)
def engine(request) -> Iterator[str]:
    """A db_id of each engine, seeded anew for every example by `seeded`."""
    require_db_id(request.param)
    yield request.param


class seeded:  # noqa: N801 - a context manager read as a phrase: `with seeded(db_id)`
    """Three memories of alice and bob in db_id, removed afterwards with the audit records."""

    def __init__(self, db_id: str) -> None:
        self.db_id = db_id
        self.model = model_of(db_id)

    def __enter__(self) -> "seeded":
        for memory_id, owner in zip(SEEDED, ["alice", "alice", "bob"], strict=True):
            memory_create(self.db_id, memory_id=memory_id, user_id=owner, topics=["t"])
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.model._default_manager.using(self.db_id).all().delete()
        MemoryDeletion.objects.all().delete()

    def state(self) -> tuple[list[tuple[Any, ...]], int]:
        rows = self.model._default_manager.using(self.db_id).order_by("memory_id")
        fields = ["memory_id", "memory", "user_id", "topics", "agent_id", "team_id"]
        return [tuple(row) for row in rows.values_list(*fields)], MemoryDeletion.objects.count()


def query_string(pairs: list[tuple[str, str]]) -> str:
    # What a client can put on the wire: a lone surrogate goes out as the bytes Python would
    # write for it, which no UTF-8 decoder accepts.
    return urlencode(pairs, encoding="utf-8", errors="surrogatepass")


def assert_answered_cleanly(response: Any, before: Any, after: Any) -> None:
    request = response.request
    asked = f"{request['REQUEST_METHOD']} {request['PATH_INFO']}?{request['QUERY_STRING']}"
    assert response.status_code < 500, (asked, response.content)
    if response.status_code >= 400:
        assert response["Content-Type"] == "application/json", (asked, response.content)
        body = response.json()
        assert set(body) == {"detail", "error_code"}, body
        assert isinstance(body["detail"], str) and body["detail"]
        assert after == before, "a refused request changed something"


def send(client: APIClient, method: str, path: str, body: Any) -> Any:
    if body is None:
        response = client.generic(method.upper(), path)
    else:
        response = client.generic(method.upper(), path, json.dumps(body), "application/json")
    if response.streaming:
        # An export: what fails while it streams must fail here too.
        b"".join(response.streaming_content)  # type: ignore[attr-defined]
    return response


@HOSTILE_SETTINGS
@given(
    endpoint=st.sampled_from(ENDPOINTS),
    memory_id=st.sampled_from(SEEDED) | HOSTILE_TEXT,
    query=st.lists(
        st.tuples(st.sampled_from(QUERY_NAMES), st.sampled_from(SEEDED) | HOSTILE_TEXT),
        max_size=4,
    ),
    body=st.none() | st.dictionaries(st.sampled_from(BODY_NAMES), JSON_VALUE) | JSON_VALUE,
    admin=st.booleans(),
)
@example(
    endpoint=("delete", "/memories"),
    memory_id="m1",
    query=[],
    body={"memory_ids": ["\ud800"]},
    admin=False,
)
@example(
    endpoint=("post", "/memories"),
    memory_id="m1",
    query=[],
    body={"memory": "x", "user_id": "\x00" * 300},
    admin=True,
)
@example(
    endpoint=("get", "/memories"),
    memory_id="m1",
    query=[("page", "9" * 40)],
    body=None,
    admin=True,
)
@example(
    endpoint=("get", "/memories"),
    memory_id="m1",
    query=[("search_content", "a\x00b"), ("topics", "\x00")],
    body=None,
    admin=True,
)
def test_no_input_reaches_a_500_or_changes_anything_when_refused(
    engine, endpoint, memory_id, query, body, admin
):
    method, route = endpoint
    path = route.format(id=quote(memory_id, safe="", errors="surrogatepass"))
    client = APIClient()
    token = mint("alice", scopes=["agent_os:admin"] if admin else [])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    with seeded(engine) as memories:
        before = memories.state()
        response = send(
            client, method, f"{path}?{query_string([('db_id', engine), *query])}", body
        )

        assert_answered_cleanly(response, before, memories.state())


def signed(claims: dict[str, Any]) -> str:
    """An HS256 JWT of any claims, signed for real with the test key; made by hand, since
    PyJWT refuses to encode some of the claims a hostile issuer could sign."""

    def part(data: bytes) -> bytes:
        return base64.urlsafe_b64encode(data).rstrip(b"=")

    header = part(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    payload = part(json.dumps(claims).encode())
    key = str(django_settings.MEMORIES["JWT_SIGNING_KEY"]).encode()
    signature = part(hmac.digest(key, header + b"." + payload, "sha256"))
    return b".".join([header, payload, signature]).decode()


CLAIM = st.one_of(
    HOSTILE_TEXT,
    JSON_VALUE,
    st.integers(-(2**64), 2**64),
    st.sampled_from([2**63 - 1, 10**300, 1e300, 253402300800, -(2**63), float("inf")]),
)


@HOSTILE_SETTINGS
@given(
    claims=st.fixed_dictionaries(
        {},
        optional={
            "sub": CLAIM,
            "exp": CLAIM,
            "nbf": CLAIM,
            "iat": CLAIM,
            "scopes": CLAIM | st.lists(HOSTILE_TEXT, max_size=4),
            "aud": CLAIM,
            "iss": CLAIM,
        },
    ),
    endpoint=st.sampled_from([("post", "/memories"), ("delete", "/memories/{id}")]),
)
@example(claims={"sub": "alice", "exp": 2**63 - 1}, endpoint=("delete", "/memories/{id}"))
@example(claims={"sub": "alice", "exp": 1e300}, endpoint=("delete", "/memories/{id}"))
@example(claims={"sub": "a\x00", "exp": 253402300800}, endpoint=("post", "/memories"))
@example(claims={"sub": "\ud800", "exp": 2**62}, endpoint=("post", "/memories"))
@example(claims={"sub": "x" * 256, "exp": 2**62}, endpoint=("post", "/memories"))
def test_no_token_claim_reaches_a_500(engine, claims, endpoint):
    method, route = endpoint
    token = signed(claims)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {token}")
    body = {"memory": "created by a hostile token"} if method == "post" else None
    with seeded(engine) as memories:
        before = memories.state()
        response = send(client, method, f"{route.format(id='m1')}?db_id={engine}", body)

        assert_answered_cleanly(response, before, memories.state())


# What a WSGI server hands over: header values are ISO-8859-1 text.
HEADER_TEXT = st.text(st.characters(max_codepoint=255), max_size=300)


@HOSTILE_SETTINGS
@given(
    authorization=st.one_of(HEADER_TEXT, HEADER_TEXT.map(lambda text: f"Bearer {text}")),
    content_type=st.one_of(HEADER_TEXT, HEADER_TEXT.map(lambda text: f"application/json;{text}")),
    accept=st.one_of(st.none(), HEADER_TEXT),
    body=st.binary(max_size=200) | JSON_VALUE.map(lambda value: json.dumps(value).encode()),
)
def test_no_header_reaches_a_500(engine, authorization, content_type, accept, body):
    headers = {"HTTP_AUTHORIZATION": authorization}
    if accept is not None:
        headers["HTTP_ACCEPT"] = accept
    with seeded(engine) as memories:
        before = memories.state()
        response = APIClient().generic(
            "DELETE", f"/memories?db_id={engine}", body, content_type, **headers
        )

        assert response.status_code < 500, response.content
        if response.status_code >= 400:
            assert set(response.json()) == {"detail", "error_code"}
        assert memories.state() == before
