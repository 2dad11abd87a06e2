"""memories.docs_urls: the memory API's document and offline viewers in any host project."""

import threading
from urllib.parse import urlsplit

import pytest
import yaml
from django.test import override_settings
from django.urls import include, path
from drf_spectacular.checks import schema_check
from drf_spectacular.settings import spectacular_settings

from tests.documents import SNAPSHOT, references

# A host that mounts the API under a prefix, beside views of its own.
urlpatterns = [
    path("api/", include("memories.urls")),
    path("api/", include("memories.docs_urls")),
]

# The REST_FRAMEWORK of hosts that never configured drf-spectacular: none, or DRF's own
# schema class named.
HOST_REST_FRAMEWORK = [
    {},
    {"DEFAULT_SCHEMA_CLASS": "rest_framework.schemas.openapi.AutoSchema"},
]
# What a host's SPECTACULAR_SETTINGS may say, none of which the memory API's pages follow.
HOST_SPECTACULAR_SETTINGS = {
    "TITLE": "Host project",
    "OAS_VERSION": "3.0.3",
    "SWAGGER_UI_DIST": "https://cdn.jsdelivr.net/npm/swagger-ui-dist@latest",
    "SWAGGER_UI_FAVICON_HREF": "https://cdn.jsdelivr.net/favicon.png",
    "REDOC_DIST": "https://cdn.jsdelivr.net/npm/redoc@latest",
}


@pytest.fixture
def host_spectacular(monkeypatch):
    """The host's SPECTACULAR_SETTINGS, set as drf-spectacular reads them (it never reloads on
    override_settings) and restored after the test."""
    for key, value in HOST_SPECTACULAR_SETTINGS.items():
        monkeypatch.setattr(spectacular_settings, key, value)


@pytest.mark.parametrize("rest_framework", HOST_REST_FRAMEWORK)
def test_document_is_served_whatever_the_host_settings(client, host_spectacular, rest_framework):
    with override_settings(REST_FRAMEWORK=rest_framework):
        response = client.get("/openapi.yaml")

    assert response.status_code == 200, response.content[:500]
    assert response["Content-Type"].startswith("application/vnd.oai.openapi")
    assert yaml.safe_load(response.content) == yaml.safe_load(SNAPSHOT.read_text())


@pytest.mark.parametrize("rest_framework", HOST_REST_FRAMEWORK)
@pytest.mark.parametrize(
    "page, assets",
    [
        ("/docs", ["swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"]),
        ("/redoc", ["redoc.standalone.js"]),
    ],
)
def test_viewers_load_nothing_from_another_host(
    client, host_spectacular, rest_framework, page, assets
):
    with override_settings(REST_FRAMEWORK=rest_framework):
        response = client.get(page)

    assert response.status_code == 200
    html = response.content.decode()
    urls = references(html)
    assert [url for url in urls if urlsplit(url).scheme or urlsplit(url).netloc] == []
    for asset in assets:
        assert any(
            url.startswith("/static/drf_spectacular_sidecar/") and url.endswith(asset)
            for url in urls
        ), (asset, urls)
    assert "/openapi.json" in html  # the document it shows
    assert "AgentOS Memories" in html


@override_settings(ROOT_URLCONF=__name__)
def test_document_holds_only_the_memory_api_where_the_host_mounts_it(client):
    response = client.get("/api/openapi.json")
    docs = client.get("/api/docs")

    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/memories/{memory_id}" in paths
    assert all(path.startswith("/api/") for path in paths)
    assert not any("openapi" in path or "docs" in path for path in paths)
    assert "/api/openapi.json" in docs.content.decode()


@pytest.mark.parametrize("rest_framework", HOST_REST_FRAMEWORK)
def test_spectacular_deploy_check_passes_whatever_the_host_settings(rest_framework):
    # drf-spectacular's `check --deploy` walks every route of the host, the docs views too.
    with override_settings(REST_FRAMEWORK=rest_framework):
        assert schema_check(None) == []


def test_overlapping_requests_leave_the_host_settings_as_they_were(client):
    before = (spectacular_settings.TITLE, spectacular_settings.OAS_VERSION)
    errors: list[BaseException] = []

    def fetch() -> None:
        try:
            assert client.get("/openapi.json").status_code == 200
        except BaseException as error:  # reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=fetch) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    assert errors == []
    assert before == (spectacular_settings.TITLE, spectacular_settings.OAS_VERSION)
