"""The admin's deletion flows in a real browser (Debian's chromium, driven by Playwright)."""

import os
import re
from collections.abc import Iterator

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import Browser, Page, expect, sync_playwright

from memories.models import MemoryDeletion
from tests.factories import memory_create, memory_ids_in

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Playwright's sync API keeps an event loop in this thread; the ORM calls the tests
    # make between browser steps are still synchronous.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_FLAGS
        )
        yield browser
        browser.close()
    del os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"]


@pytest.fixture
def page(django_db_setup, browser, live_server) -> Iterator[Page]:
    # django_db_setup first: the session's live server, started before the test databases
    # exist, would share the test thread's SQLite connections (":memory:" until then) with
    # its request threads, and two threads on one connection crash SQLite.
    User.objects.create_superuser("operator", "operator@example.com", "s3cret-pass")
    context = browser.new_context(base_url=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    page.goto("/admin/login/")
    page.fill("#id_username", "operator")
    page.fill("#id_password", "s3cret-pass")
    page.click("input[type=submit]")
    expect(page.locator("#user-tools")).to_contain_text("operator")
    yield page
    context.close()


@pytest.fixture
def memories():
    memory_create("default", memory_id="twin", user_id="alice", memory="default copy")
    memory_create("lite", memory_id="twin", user_id="alice", memory="lite copy")
    memory_create("lite", memory_id="lite-a", user_id="alice", memory="alice in lite")
    memory_create("lite", memory_id="lite-b", user_id="bob", memory="bob in lite")
    memory_create("default", memory_id="default-b", user_id="bob", memory="bob in default")


def switch_to_lite(page: Page) -> None:
    page.goto("/admin/memories/memory/")
    page.get_by_role("link", name="lite / agno_memories").click()
    expect(page.locator("#current-target")).to_have_text("lite / agno_memories")


def test_delete_one_memory_in_the_selected_database(page, memories, tmp_path):
    switch_to_lite(page)
    expect(page.locator("#result_list")).to_contain_text("lite copy")
    expect(page.locator("#result_list")).not_to_contain_text("default copy")

    page.locator("#result_list a", has_text="twin").click()
    expect(page.locator("textarea#id_memory")).to_have_value("lite copy")
    page.locator("a.deletelink").click()

    confirmation = page.locator("#deletion-confirmation")
    expect(confirmation).to_contain_text("This deletion is permanent and cannot be undone.")
    expect(page.locator("#deletion-db-id")).to_have_text("lite")
    expect(page.locator("#deletion-table")).to_have_text("agno_memories")
    page.screenshot(path=tmp_path / "confirm-single-delete.png", full_page=True)
    page.get_by_role("button", name="Yes, delete permanently").click()

    expect(page.locator("ul.messagelist")).to_contain_text("Deleted memory twin from lite")
    assert memory_ids_in("lite") == {"lite-a", "lite-b"}
    assert memory_ids_in("default") == {"twin", "default-b"}
    record = MemoryDeletion.objects.get()
    assert (record.memory_ids, record.db_id, record.actor, record.channel) == (
        ["twin"],
        "lite",
        "operator",
        "admin",
    )
    assert (tmp_path / "confirm-single-delete.png").stat().st_size > 0


def test_bulk_delete_selected_memories(page, memories, tmp_path):
    switch_to_lite(page)
    for memory_id in ("twin", "lite-b"):
        page.locator(f"input.action-select[value='{memory_id}']").check()
    page.select_option("select[name=action]", "delete_selected_memories")
    page.locator("button[name=index]").click()

    expect(page.locator("#deletion-confirmation")).to_contain_text("permanent")
    expect(page.locator("#deletion-db-id")).to_have_text("lite")
    expect(page.locator("#deletion-memories li")).to_have_count(2)
    page.screenshot(path=tmp_path / "confirm-bulk-delete.png", full_page=True)
    assert memory_ids_in("lite") == {"twin", "lite-a", "lite-b"}
    page.get_by_role("button", name="Yes, delete permanently").click()

    expect(page.locator("ul.messagelist")).to_contain_text("Deleted 2 memories from lite")
    assert memory_ids_in("lite") == {"lite-a"}
    assert memory_ids_in("default") == {"twin", "default-b"}
    record = MemoryDeletion.objects.get()
    assert (sorted(record.memory_ids), record.count, record.channel) == (
        ["lite-b", "twin"],
        2,
        "admin",
    )


def test_erase_a_user_everywhere(page, memories, tmp_path):
    page.goto("/admin/memories/memory/")
    page.locator("input.action-select[value='twin']").check()
    page.select_option("select[name=action]", "erase_selected_users")
    page.locator("button[name=index]").click()

    expect(page.locator(".erased-user")).to_have_text("alice")
    plan = page.locator("#deletion-plan")
    expect(plan.locator("tr", has_text="default")).to_have_text(
        re.compile(r"^\s*default\s*agno_memories\s*1\s*$")
    )
    expect(plan.locator("tr", has_text="missing_memories")).to_contain_text("table absent")
    expect(plan.locator("tr", has_text=re.compile(r"lite\s*agno_memories"))).to_have_text(
        re.compile(r"^\s*lite\s*agno_memories\s*2\s*$")
    )
    expect(page.locator("#deletion-total")).to_have_text("3")
    expect(page.locator("#deletion-confirmation")).to_contain_text("cannot be undone")
    page.screenshot(path=tmp_path / "confirm-erase-user.png", full_page=True)
    page.get_by_role("button", name="Yes, delete permanently").click()

    expect(page.locator("ul.messagelist")).to_contain_text("Erased")
    assert memory_ids_in("default") == {"default-b"}
    assert memory_ids_in("lite") == {"lite-b"}
    records = MemoryDeletion.objects.all()
    assert sum(record.count for record in records) >= 3
    assert {record.user_ids[0] for record in records} == {"alice"}
    assert {record.channel for record in records} == {"admin"}
