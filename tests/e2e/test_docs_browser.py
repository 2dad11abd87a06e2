"""The documentation pages in a real browser: everything they load, images included, comes
from the host's own server (its static files), nothing from a CDN."""

from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.test_admin_browser import browser  # noqa: F401 - the module's Chromium

pytestmark = pytest.mark.django_db(transaction=True, databases=["default"])


@pytest.fixture
def page(django_db_setup, browser: Browser, live_server) -> Iterator[tuple[Page, list[str]]]:  # noqa: F811
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(20_000)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    yield page, requested
    context.close()


def foreign(requested: list[str], base: str) -> list[str]:
    origin = urlsplit(base).netloc
    return [
        url
        for url in requested
        if urlsplit(url).scheme in ("http", "https") and urlsplit(url).netloc != origin
    ]


def test_redoc_shows_its_logo_from_the_hosts_static_files(page, live_server):
    page, requested = page
    page.goto("/redoc")

    logo = page.locator('img[alt="redocly logo"]')
    expect(logo).to_be_visible(timeout=30_000)
    assert logo.get_attribute("src") == "/static/memories/redoc/logo-mini.svg"
    assert logo.evaluate("image => image.complete && image.naturalWidth > 0")
    expect(page.locator("h1")).to_contain_text("AgentOS Memories")
    assert foreign(requested, live_server.url) == []
    assert f"{live_server.url}/static/memories/redoc/logo-mini.svg" in requested


def test_swagger_ui_loads_nothing_from_another_host(page, live_server):
    page, requested = page
    page.goto("/docs")

    expect(page.locator(".swagger-ui .title")).to_contain_text("AgentOS Memories")
    assert foreign(requested, live_server.url) == []
