"""In a real headless Chromium against `streamlit run` on the demo fleet: what a platform lead
needs to trust the dashboard (issue 15): evidence on the charts with tooltips that find the
nearest point, muted findings marked, a selected row filling the silence form, no developer
chrome."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.app_workspaces import REPO, AppWorkspace, demo_workspace
from tests.conftest import require_binary
from tests.servers_streamlit import CHROMIUM_ARGS, streamlit_server

pytestmark = [pytest.mark.server, pytest.mark.pinned_clock]

ARTIFACTS = REPO / "test-artifacts"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Page, AppWorkspace]]:
    chromium = require_binary("chromium")
    root = tmp_path_factory.mktemp("trust")
    ws = demo_workspace(root / "ws")
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server(ws.config, root / "streamlit.log") as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        try:
            yield base, page, ws
        finally:
            browser.close()


def settle(page: Page) -> None:
    """Wait until Streamlit has finished running the script and drawing."""
    page.wait_for_selector("h1", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )
    page.wait_for_timeout(1500)


def test_tooltips_find_the_nearest_point_anywhere_in_a_panel(
    site: tuple[str, Page, AppWorkspace],
) -> None:
    base, page, _ = site
    page.goto(f"{base}/integration?integration=inventory-sync")
    settle(page)
    chart = page.locator("[data-testid='stVegaLiteChart']").first
    chart.wait_for(timeout=30_000)
    chart.scroll_into_view_if_needed()
    page.wait_for_timeout(1000)
    box = chart.bounding_box()
    assert box is not None
    hits, tries, tips = 0, 0, []
    # sweep the first panel's plot area (left of the first row), off the line as often as on it
    for i in range(25):
        # a real pointer sends several move events on its way, as steps= does
        page.mouse.move(box["x"] + 100 + i * 12, box["y"] + 110 + (i % 5) * 20, steps=4)
        page.wait_for_timeout(150)
        tries += 1
        shown = page.locator("#vg-tooltip-element.visible")
        if shown.count():
            hits += 1
            tips.append(shown.inner_text())
    chart.screenshot(path=str(ARTIFACTS / "app-integration-evidence.png"))
    assert hits >= tries * 0.8, f"tooltip shown at {hits} of {tries} positions"
    # what a shown tooltip says (the last position may be one of the few without one)
    assert all("time" in tip and "same hour last week" in tip for tip in tips), tips[:3]


def test_no_deploy_button_and_the_icon_is_served_locally(
    site: tuple[str, Page, AppWorkspace],
) -> None:
    base, page, _ = site
    page.goto(f"{base}/")
    settle(page)
    assert page.get_by_role("button", name="Deploy").count() == 0
    assert page.get_by_text("Deploy", exact=True).count() == 0
    icon = page.locator("link[rel~='icon']").first.get_attribute("href") or ""
    assert icon.startswith(("/", base, "./")) or "media" in icon, icon
    assert "http" not in icon or icon.startswith(base)


def test_selecting_a_finding_row_fills_the_silence_form(
    site: tuple[str, Page, AppWorkspace],
) -> None:
    base, page, _ = site
    page.goto(f"{base}/findings")
    settle(page)
    grid = page.locator("[data-testid='stDataFrame']").first
    grid.scroll_into_view_if_needed()
    box = grid.bounding_box()
    assert box is not None
    picks = []
    for row in (1, 2):  # the row-selection markers sit left of each row; header is 35 px
        page.mouse.click(box["x"] + 15, box["y"] + 35 * row + 17)
        settle(page)
        box_el = page.locator("[data-testid='stSelectbox']").filter(has_text="Finding")
        shown = box_el.inner_text()
        if box_el.locator("input").count():
            shown += " " + box_el.locator("input").first.input_value()
        picks.append(shown)
    page.screenshot(path=str(ARTIFACTS / "app-findings-silence-form.png"), full_page=True)
    assert "inventory-sync" in picks[0], picks
    assert picks[1] != picks[0] and " — " in picks[1], picks
    assert page.get_by_text("until (day").count() == 0  # only once "until…" is chosen
