"""The admin's lists at ordinary screen sizes (Debian's chromium, driven by Playwright): no
horizontal overflow, rows a few lines high, screenshots of each under the test's tmp dir."""

import uuid
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page

from memories.models import Channel, MemoryDeletion, MemoryExport
from tests.e2e.test_admin_browser import browser, page  # noqa: F401  (fixtures)
from tests.factories import memory_create

pytestmark = pytest.mark.django_db(transaction=True, databases="__all__")

SIZES = [(1280, 800), (1920, 1080)]
# The longest a row may be, in lines of its text.
MAX_LINES = 3

TEXT = (
    "Prefers vegetarian recipes with lots of vegetables, dislikes coriander, is allergic to "
    "peanuts and cashews, and wants every recipe to take less than thirty minutes on weekdays "
    "because of a long commute; on weekends, longer recipes are welcome."
)


@pytest.fixture
def memories():
    for number in range(17):
        memory_create(
            "default",
            memory_id=str(uuid.uuid4()),
            user_id=f"user-{number % 4}@example.com",
            memory=TEXT,
            topics=["food", "preferences", "allergies", "schedule"],
            agent_id="recipe-planner-agent",
            team_id="household-assistants",
        )


@pytest.fixture
def audit():
    ids = [str(uuid.uuid4()) for _ in range(40)]
    for number in range(12):
        MemoryDeletion.objects.create(
            actor="command:operator",
            channel=Channel.COMMAND,
            db_id="default",
            table_name="agno_memories",
            memory_ids=ids[: number + 1],
            user_ids=["alice@example.com", "bob@example.com"][: 1 + number % 2],
            count=number + 1,
        )
        MemoryExport.objects.create(
            actor="operator",
            channel=Channel.ADMIN,
            db_id="default",
            table_name="agno_memories",
            user_id="alice@example.com",
            count=number * 100,
        )


def layout(tab: Page) -> dict[str, Any]:
    """Widths of the page and of the results table's box, and each row's height in lines."""
    found: dict[str, Any] = tab.evaluate(
        """() => {
            const results = document.querySelector('#changelist .results');
            // The lines of a row's tallest cell: its height without padding, over its line height.
            const lines = (row) => Math.max(...[...row.querySelectorAll('td, th')].map((cell) => {
                const style = getComputedStyle(cell);
                const height = cell.getBoundingClientRect().height
                    - parseFloat(style.paddingTop) - parseFloat(style.paddingBottom);
                const line = parseFloat(style.lineHeight) || parseFloat(style.fontSize) * 1.2;
                return height / line;
            }));
            return {
                page: [document.documentElement.scrollWidth, document.documentElement.clientWidth],
                results: [results.scrollWidth, results.clientWidth],
                rows: [...document.querySelectorAll('#result_list tbody tr')].map(lines),
                right: Math.max(...[...document.querySelectorAll('#result_list td')]
                    .map((cell) => cell.getBoundingClientRect().right)),
            };
        }"""
    )
    return found


def assert_readable(tab: Page, url: str, shot: Path, rows: int) -> dict[str, Any]:
    tab.goto(url)
    tab.screenshot(path=shot, full_page=True)
    found = layout(tab)
    width = found["page"][1]
    assert found["page"][0] <= width, f"the page scrolls sideways: {found}"
    assert found["results"][0] <= found["results"][1], f"the table is cut: {found}"
    assert found["right"] <= width, f"a column is off screen: {found}"
    assert len(found["rows"]) == rows
    # A border's pixel or a smaller second line is no line more.
    assert max(found["rows"]) < MAX_LINES + 0.5, f"rows too tall: {found['rows']}"
    assert shot.stat().st_size > 0
    return found


@pytest.mark.parametrize("width, height", SIZES)
def test_the_memory_list_is_readable(page, memories, tmp_path, width, height):  # noqa: F811
    page.set_viewport_size({"width": width, "height": height})

    assert_readable(page, "/admin/memories/memory/", tmp_path / f"memories-{width}.png", 17)

    header = page.locator("#result_list thead").inner_text()
    assert "created" in header.lower()
    first_id = page.locator("#result_list tbody tr th a .memories-id").first
    full_id = first_id.get_attribute("title")
    assert full_id is not None and len(full_id) == 36  # the full id, on hover
    assert first_id.inner_text() == full_id[:8] + "…"  # a short one in the list
    first_id.click()
    page.screenshot(path=tmp_path / f"memory-{width}.png", full_page=True)
    assert full_id in page.locator(".field-memory_id").inner_text()


@pytest.mark.parametrize("width, height", SIZES)
@pytest.mark.parametrize("model", ["memorydeletion", "memoryexport"])
def test_the_audit_lists_are_readable(page, audit, tmp_path, width, height, model):  # noqa: F811
    page.set_viewport_size({"width": width, "height": height})

    assert_readable(page, f"/admin/memories/{model}/", tmp_path / f"{model}-{width}.png", 12)

    header = page.locator("#result_list thead").inner_text().lower()
    assert "owner" in header
    assert "count" in header or "memories" in header
    body = page.locator("#result_list tbody").inner_text()
    assert "alice@example.com" in body
