"""The API's HTTP edge (MemoryAPIView, RefusingView and its subclasses): methods each route
allows, unknown routes, AgentOS routes this server lacks, content negotiation; a refusal
deletes nothing."""

import pytest
import yaml

from tests.documents import SNAPSHOT
from tests.test_views.conftest import (
    assert_error,
    deleted_from,
    rows,
    untouched,
)

pytestmark = pytest.mark.django_db(databases="__all__")


# Each method a client may send: HTTP's own, WebDAV's, and one that is nobody's.
METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE", "CONNECT"]
METHODS += ["PROPFIND", "FOO"]


def undocumented_methods() -> list[tuple[str, str, list[str]]]:
    """(path, method, the methods it allows) for each route of the API document and each
    method it does not list. It allows what it lists, in Django's order, and HEAD beside GET
    (HTTP requires it of a server: a GET without its body)."""
    document = yaml.safe_load(SNAPSHOT.read_text())
    cases = []
    for route, operations in document["paths"].items():
        listed = [method.upper() for method in operations]
        allowed = [method for method in ["GET", "POST", "PATCH", "DELETE"] if method in listed]
        allowed += ["HEAD"] if "GET" in listed else []
        path = route.replace("{memory_id}", "m1")
        cases += [(path, method, allowed) for method in METHODS if method not in allowed]
    return cases


UNDOCUMENTED_METHODS = undocumented_methods()


@pytest.mark.usefixtures("seeded")
class ProtocolTests:
    @pytest.mark.parametrize("path", ["/memories/m1", "/memories/m1/"])
    @pytest.mark.parametrize("method", ["put", "post"])
    def test_other_methods_are_405_json(self, as_user, method, path):
        response = getattr(as_user("root", admin=True), method)(
            path, {"memory": "replaced"}, format="json"
        )

        assert_error(
            response, 405, f'Method "{method.upper()}" not allowed.', "METHOD_NOT_ALLOWED"
        )
        assert response["Allow"] == "GET, PATCH, DELETE, HEAD"
        assert rows() == untouched()

    @pytest.mark.parametrize(("path", "method", "allowed"), UNDOCUMENTED_METHODS)
    # An admin's token, with and without the trailing slash; no token at all (the method is
    # refused before any token is read).
    @pytest.mark.parametrize(
        ("admin", "slash"), [(True, ""), (True, "/"), (None, "")], ids=["admin", "slash", "none"]
    )
    def test_every_method_the_document_does_not_list_is_405_json(
        self, as_user, api, path, method, allowed, admin, slash
    ):
        client = api if admin is None else as_user("root", admin=admin)

        response = client.generic(
            method, path + slash, b'{"memory_ids": ["m1"]}', "application/json"
        )

        assert response.status_code == 405
        assert response["Allow"] == ", ".join(allowed)
        if method != "HEAD":
            assert response.json() == {
                "detail": f'Method "{method}" not allowed.',
                "error_code": "METHOD_NOT_ALLOWED",
            }
        assert rows() == untouched()

    @pytest.mark.parametrize(
        "path",
        [
            "/memories/m1/extra",
            "/memories/m1/extra/",
            "/memories//",
            "/memories/a%2Fb",
            "/memory_topics/x",
            "/user_memory_stats/x",
        ],
    )
    @pytest.mark.parametrize("method", ["delete", "get"])
    def test_unknown_routes_under_the_api_are_404_json(self, as_user, method, path):
        response = getattr(as_user("root", admin=True), method)(path)

        assert_error(response, 404, "Not found", "NOT_FOUND")
        assert rows() == untouched()

    def test_unknown_route_is_404_json_without_a_token(self, api):
        # No route there, so no credentials to ask for: 404, not 401.
        response = api.delete("/memories/m1/extra")

        assert_error(response, 404, "Not found", "NOT_FOUND")
        assert "Allow" not in response.headers  # no method is allowed where nothing is
        assert rows() == untouched()

    @pytest.mark.parametrize(
        "method, path, what",
        [
            ("post", "/optimize-memories", "memory optimization (Agno's optimize_memories)"),
            ("post", "/optimize-memories/", "memory optimization (Agno's optimize_memories)"),
            ("get", "/config", "Agno AgentOS the AgentOS configuration (config)"),
            ("get", "/agents", "Agno AgentOS agents (agents)"),
            ("post", "/agents/chef/runs", "Agno AgentOS agents (agents)"),
            ("delete", "/sessions/s1", "Agno AgentOS sessions (sessions)"),
            ("post", "/databases/default/migrate", "Agno AgentOS database migrations"),
            ("get", "/knowledge/content", "Agno AgentOS knowledge bases (knowledge)"),
            ("get", "/trace_session_stats", "Agno AgentOS trace statistics"),
        ],
    )
    @pytest.mark.parametrize("admin", [True, False, None])
    def test_agentos_routes_this_server_lacks_are_501_json(
        self, as_user, api, method, path, what, admin
    ):
        client = api if admin is None else as_user("root", admin=admin)

        response = getattr(client, method)(path, {"user_id": "alice"}, format="json")

        assert response.status_code == 501
        body = response.json()
        assert body["error_code"] == "NOT_IMPLEMENTED"
        assert body["detail"].startswith(
            f"This server administers memories only; it does not provide {what}"
        )
        assert "Allow" not in response.headers
        assert rows() == untouched()

    @pytest.mark.parametrize(
        "accept", [None, "*/*", "application/json", "application/*", "text/html, */*;q=0.1"]
    )
    def test_any_accept_header_json_satisfies_deletes(self, as_user, db_id, accept):
        headers = {} if accept is None else {"HTTP_ACCEPT": accept}
        response = as_user("alice").delete(f"/memories/m1?db_id={db_id}", **headers)

        assert response.status_code == 204
        assert rows() == deleted_from(db_id, "m1")

    @pytest.mark.parametrize("accept", ["text/html", "application/xml"])
    def test_accept_header_json_cannot_satisfy_is_406_and_deletes_nothing(self, as_user, accept):
        response = as_user("alice").delete("/memories/m1", HTTP_ACCEPT=accept)

        assert_error(
            response, 406, "Could not satisfy the request Accept header.", "NOT_ACCEPTABLE"
        )
        assert rows() == untouched()

    def test_format_json_deletes(self, as_user):
        response = as_user("alice").delete("/memories/m1?format=json")

        assert response.status_code == 204
        assert rows() == deleted_from("default", "m1")

    def test_format_the_api_cannot_render_is_404_and_deletes_nothing(self, as_user):
        response = as_user("alice").delete("/memories/m1?format=xml")

        assert_error(response, 404, "Not found", "NOT_FOUND")
        assert rows() == untouched()
