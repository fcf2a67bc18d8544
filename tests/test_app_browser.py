"""End to end in a real headless Chromium against `streamlit run`: the overview loads, clicking
an integration opens its page, every page renders; a screenshot of each is kept in
test-artifacts/ for a person to look at."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.app_workspaces import REPO, AppWorkspace, demo_workspace
from tests.conftest import require_binary
from tests.servers_streamlit import CHROMIUM_ARGS, streamlit_server

pytestmark = [pytest.mark.server, pytest.mark.pinned_clock]

ARTIFACTS = REPO / "test-artifacts"
PAGES = {
    "overview": ("", "Fleet overview"),
    "integration": ("integration?integration=inventory-sync", "Stock levels to the web shop"),
    "findings": ("findings", "Findings"),
    "inventory": ("inventory", "Inventory"),
    "owners": ("owners", "Owners"),
    "reports": ("reports", "Weekly reports"),
    "sources": ("sources", "Sources"),
    "sql": ("sql", "SQL"),
}


@pytest.fixture(scope="module")
def browser_page(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Page]]:
    chromium = require_binary("chromium")
    root = tmp_path_factory.mktemp("browser")
    ws: AppWorkspace = demo_workspace(root / "ws")
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server(ws.config, root / "streamlit.log") as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 2200})
        try:
            yield base, page
        finally:
            browser.close()


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the script and drawing."""
    page.wait_for_selector("h1", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )
    page.wait_for_timeout(1500)  # charts animate in


def test_overview_loads_and_clicking_an_integration_opens_its_page(
    browser_page: tuple[str, Page],
) -> None:
    base, page = browser_page
    page.goto(base + "/")
    settle(page)
    assert page.locator("h1").first.inner_text() == "Fleet overview"
    assert page.get_by_text("Needs attention").count() == 1
    # the server's clock is the suite's pinned one: PINNED is 10:00 in Berlin
    assert "updated 10:" in page.locator("body").inner_text()
    page.get_by_role("link", name="Stock levels to the web shop").first.click()
    page.wait_for_url("**/integration?integration=inventory-sync", timeout=30_000)
    settle(page)
    assert page.locator("h1").first.inner_text() == "Stock levels to the web shop"
    assert page.get_by_text("Page not found").count() == 0
    # one chart holding a panel per metric, so the panels share a crosshair
    page.locator("[data-testid='stVegaLiteChart']").first.wait_for(timeout=30_000)
    assert page.locator("[data-testid='stVegaLiteChart']").count() == 1


@pytest.mark.parametrize("name", list(PAGES))
def test_every_page_renders_in_the_browser(browser_page: tuple[str, Page], name: str) -> None:
    base, page = browser_page
    path, title = PAGES[name]
    page.goto(f"{base}/{path}")
    settle(page)
    assert page.locator("h1").first.inner_text() == title
    assert page.get_by_text("Page not found").count() == 0
    assert page.locator("[data-testid='stException']").count() == 0
    page.screenshot(path=str(ARTIFACTS / f"app-{name}.png"))
    assert Path(ARTIFACTS / f"app-{name}.png").stat().st_size > 10_000


def test_a_shared_link_restores_the_overview_filters(browser_page: tuple[str, Page]) -> None:
    base, page = browser_page
    page.goto(f"{base}/?owner=logistics&health=failing")
    settle(page)
    assert page.get_by_text("1 of 18 integrations").count() == 1
    assert page.get_by_role("link", name="Stock levels to the web shop").count() == 1
