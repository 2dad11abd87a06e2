"""The edge of the project as `make run` serves it: bounded requests, slow clients, framing,
Host checks and the process environment, over real sockets."""

import json
import select
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from urllib.parse import urlsplit

import jwt
import pytest
import requests

from tests.e2e.test_http_server import memory_ids, seed
from tests.servers import Server, project_server
from tests.test_parsers import BODY_OPERATIONS, NON_TEXT_CODECS

# An ordinary request answers in milliseconds; a worker held by a slow client would make it
# wait for that client (about 30 s with sync workers). Generous for a loaded machine.
PROMPT = 5.0


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    with project_server(tmp_path_factory.mktemp("edge")) as running:
        yield running


@pytest.fixture(scope="module")
def database(server) -> Path:
    """The SQLite file the server keeps its memories in."""
    return Path(server.env["DATABASE_URL"].removeprefix("sqlite:///"))


@pytest.fixture(scope="module")
def alice(server):
    return server.bearer("alice")


@pytest.fixture(scope="module")
def root(server):
    return server.bearer("root", admin=True)


def address(server: Server) -> tuple[str, int]:
    parts = urlsplit(server.base)
    return str(parts.hostname), int(parts.port or 80)


def status_of(response: bytes) -> int:
    return int(response.split(b" ", 2)[1])


def raw_request(server: Server, head: bytes, *, chunk: int = 1 << 20, total: int = 0) -> bytes:
    """Send head, then `total` more bytes of filler in chunks, and read the answer; stops
    sending as soon as the server answers (it may answer before reading everything)."""
    with socket.create_connection(address(server), timeout=30) as sock:
        sock.sendall(head)
        sent = 0
        while sent < total:
            if select.select([sock], [], [], 0)[0]:
                break
            try:
                sock.sendall(b"a" * min(chunk, total - sent))
            except OSError:
                break  # the server refused and closed: its answer is waiting
            sent += chunk
        answer = b""
        while b"\r\n\r\n" not in answer:
            data = sock.recv(65536)
            if not data:
                break
            answer += data
        return answer


class RequestSizeTests:
    def test_an_8_mib_request_line_is_refused_before_the_application(self, server):
        answer = raw_request(server, b"GET /memories?x=", total=8 << 20)

        assert status_of(answer) in {414, 431}
        assert requests.get(f"{server.base}/memories", timeout=30).status_code == 401

    def test_8_mib_of_headers_are_refused_before_the_application(self, server):
        head = b"GET /memories HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Padding: "
        answer = raw_request(server, head, total=8 << 20)

        assert status_of(answer) == 431

    def test_the_apps_query_limit_fits_inside_the_servers(self, server, alice):
        # Just over MAX_QUERY_LENGTH (60 KiB): the application's own JSON answer, not the
        # server's refusal of a URI it will not read.
        response = requests.get(
            f"{server.base}/memories", params={"x": "y" * (60 * 1024)}, headers=alice, timeout=30
        )

        assert response.status_code == 422
        assert response.json() == {
            "detail": "The query string may not exceed 61440 bytes",
            "error_code": "VALIDATION_ERROR",
        }


@contextmanager
def slow_client(server: Server, request: bytes, *, after: bytes = b"") -> Iterator[None]:
    """A connection that sends `after` at once, then `request` a byte a second until the
    block ends."""
    stop = threading.Event()
    sock = socket.create_connection(address(server), timeout=30)

    def trickle() -> None:
        try:
            sock.sendall(after)
            for byte in request:
                if stop.wait(1):
                    return
                sock.sendall(bytes([byte]))
        except OSError:
            return

    thread = threading.Thread(target=trickle, daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=10)
        sock.close()


def test_slow_and_idle_clients_do_not_delay_an_ordinary_delete(server, database, alice):
    ids = seed(database, *["alice"] * 5)
    slow_head = b"GET /memories HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + b"s" * 100 + b"\r\n\r\n"
    # A bulk delete whose headers (and valid token) come at once and whose body trickles in.
    body = json.dumps({"memory_ids": ["nothing-here"]}).encode().ljust(100)
    slow_body_head = (
        f"DELETE /memories HTTP/1.1\r\nHost: 127.0.0.1\r\n"
        f"Authorization: {alice['Authorization']}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()

    with ExitStack() as clients:
        for _ in range(4):
            clients.enter_context(slow_client(server, slow_head))
        for _ in range(2):
            clients.enter_context(slow_client(server, b""))  # connected, sends nothing
        for _ in range(2):
            clients.enter_context(slow_client(server, body, after=slow_body_head))
        time.sleep(2)  # every slow client is connected and has begun

        timings = []
        for memory_id in ids:
            started = time.monotonic()
            response = requests.delete(
                f"{server.base}/memories/{memory_id}", headers=alice, timeout=60
            )
            timings.append(time.monotonic() - started)
            assert response.status_code == 204

    assert max(timings) < PROMPT, timings
    assert not set(ids) & memory_ids(database)


def test_a_chunked_body_is_refused_with_411_and_stores_nothing(server, database, alice):
    def chunks() -> Iterator[bytes]:
        yield b'{"memory": '
        yield b'"sent in chunks"}'

    before = memory_ids(database)
    response = requests.post(
        f"{server.base}/memories",
        data=chunks(),
        headers={**alice, "Content-Type": "application/json"},
        timeout=30,
    )

    assert response.status_code == 411
    assert response.json() == {
        "detail": "A request body needs a Content-Length header; chunked bodies are refused",
        "error_code": "LENGTH_REQUIRED",
    }
    assert memory_ids(database) == before


@pytest.mark.parametrize("operation", BODY_OPERATIONS.values(), ids=BODY_OPERATIONS.keys())
@pytest.mark.parametrize("charset", NON_TEXT_CODECS)
def test_a_charset_that_is_no_text_encoding_is_415_with_a_query_string_too(
    server, database, root, charset, operation
):
    # Django parsed the query string as it read the charset, and failed before any view:
    # the server answered a bare 500 (agentos/handlers.py).
    method, path, body = operation
    (memory_id,) = seed(database, "alice")
    before = memory_ids(database)

    response = requests.request(
        method,
        f"{server.base}{path.replace('m1', memory_id)}?db_id=default",
        data=json.dumps(body).replace("m1", memory_id).encode(),
        headers={**root, "Content-Type": f"application/json; charset={charset}"},
        timeout=30,
    )

    assert response.status_code == 415
    assert response.json()["error_code"] == "UNSUPPORTED_MEDIA_TYPE"
    assert memory_ids(database) == before


@pytest.mark.parametrize("path", ["/memories", "/memories/m1", "/memory_topics", "/nowhere/x"])
def test_a_disallowed_host_is_a_json_400_on_api_routes(server, alice, path):
    response = requests.get(
        f"{server.base}{path}", headers={**alice, "Host": "evil.example"}, timeout=30
    )

    assert response.status_code == 400
    if path.startswith("/nowhere"):
        assert response.headers["Content-Type"].startswith("text/html")
    else:
        assert response.headers["Content-Type"] == "application/json"
        assert response.json() == {
            "detail": "The Host header names a host this server does not serve",
            "error_code": "BAD_REQUEST",
        }


def test_the_bearer_scheme_is_case_insensitive(server, database, alice):
    (memory_id,) = seed(database, "alice")
    token = alice["Authorization"].split()[1]

    response = requests.delete(
        f"{server.base}/memories/{memory_id}",
        headers={"Authorization": f"bEaReR {token}"},
        timeout=30,
    )

    assert response.status_code == 204
    assert memory_id not in memory_ids(database)


SIGNING_KEY = "edge-signing-key-0123456789-0123456789-0123456789"


@pytest.fixture(scope="module")
def debug_server(tmp_path_factory) -> Iterator[Server]:
    """The project with debug pages on, and variables named like request headers."""
    now = int(time.time())
    admin = jwt.encode(
        {"sub": "root", "scopes": ["agent_os:admin"], "exp": now + 3600},
        SIGNING_KEY,
        algorithm="HS256",
    )
    with project_server(
        tmp_path_factory.mktemp("environment"),
        AGENTOS_JWT_SIGNING_KEY=SIGNING_KEY,
        # Debug pages list request.META: whatever leaked into it would show there.
        DJANGO_DEBUG="1",
        # A leak would authenticate requests that carry no token.
        HTTP_AUTHORIZATION=f"Bearer {admin}",
        HTTP_X_AGENTOS_CANARY="canary-value",
    ) as running:
        yield running


class ProcessEnvironmentTests:
    """granian copies the process environment into each WSGI environ; the project drops it."""

    def test_a_variable_named_like_a_header_is_no_header(self, debug_server):
        response = requests.get(f"{debug_server.base}/memories", timeout=30)

        assert response.status_code == 401

    def test_request_meta_holds_no_variable_of_the_process(self, debug_server):
        # A disallowed Host outside the API: Django's debug page, which lists request.META.
        response = requests.get(
            f"{debug_server.base}/admin/login/", headers={"Host": "evil.example"}, timeout=30
        )

        assert response.status_code == 400
        page = response.text
        assert "HTTP_HOST" in page  # the page does list META
        for name in ("DATABASE_URL", "DJANGO_SECRET_KEY", "AGENTOS_JWT_SIGNING_KEY", "CANARY"):
            assert name not in page
        assert "canary-value" not in page
        assert SIGNING_KEY not in page
        assert debug_server.env["DJANGO_SECRET_KEY"] not in page
