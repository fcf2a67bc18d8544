"""In a real headless Chromium against `streamlit run` on the demo fleet (issue 15): the Alerts
page shows who is told and whether it arrived (channels without URLs, routes in order,
maintenance, silences, messages by status) and sends a test message through the daemon's notify
job; teams and the "edit in your repository" link on the Owners and Integration pages."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta

import pytest
from playwright.sync_api import Page, sync_playwright

from alerts.stage import jobs as alert_jobs
from seamwatch.config import load_settings
from seamwatch.inventory import Inventory
from seamwatch.silences import add_silence
from seamwatch.stage import Runtime
from tests.app_workspaces import REPO, AppWorkspace, demo_workspace
from tests.conftest import require_binary
from tests.servers_chat import Behaviour, ChatReceiver
from tests.servers_streamlit import CHROMIUM_ARGS, streamlit_server

pytestmark = [pytest.mark.server, pytest.mark.pinned_clock]

ARTIFACTS = REPO / "test-artifacts"
SECRET = "T000/B000/XXXXsecretXXXX"


@dataclass
class Site:
    base: str
    page: Page
    ws: AppWorkspace
    receiver: ChatReceiver

    def notify(self) -> object:
        """One run of the daemon's notify job (`seamwatch run` schedules the same function)."""
        settings = load_settings(self.ws.config)
        (job,) = alert_jobs(
            Runtime(settings, self.ws.store, Inventory)
        )  # notify reads no inventory
        return job.func()


def alerts_config(receiver: ChatReceiver) -> str:
    return f"""
[alerts]
interval = "5s"
group_wait = "0s"

[alerts.channels.ops-slack]
kind = "slack"
url = "{receiver.url("slack")}"

[alerts.channels.broken-hook]
kind = "slack"
url = "{receiver.base}/slack/broken/{SECRET}"

[[alerts.routes]]
name = "critical to ops"
match = {{ severity = "critical" }}
channels = ["ops-slack", "broken-hook"]

[alerts.default]
channels = ["ops-slack"]

[[alerts.maintenance]]
name = "sap-sunday"
cron = "0 2 * * sun"
duration = "4h"
timezone = "Europe/Berlin"
match = {{ system = "SAP ERP" }}
comment = "SAP patch window"
"""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    chromium = require_binary("chromium")
    root = tmp_path_factory.mktemp("alerts")
    ws = demo_workspace(root / "ws")
    receiver = ChatReceiver()
    receiver.always["/slack/broken"] = Behaviour(404, body="no_service")
    text = ws.config.read_text().replace(
        "[app]\n",
        '[app]\nrepo_url = "https://git.example.com/inv/-/blob/main/{path}#L{line}"\n',
    )
    ws.config.write_text(text + alerts_config(receiver))
    add_silence(
        ws.store,
        {"integration_id": "shipment-events"},
        ends_at=ws.now + timedelta(days=1),
        comment="carrier fixes the DLQ consumer",
        author="ana",
        now=ws.now,
    )
    ARTIFACTS.mkdir(exist_ok=True)
    with streamlit_server(ws.config, root / "streamlit.log") as base, sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
        page = browser.new_page(viewport={"width": 1440, "height": 900})
        try:
            yield Site(base, page, ws, receiver)
        finally:
            browser.close()
            receiver.close()


def settle(page: Page) -> None:
    page.wait_for_selector("h1", timeout=30_000)
    page.wait_for_function(
        "() => !document.querySelector('[data-testid=\"stStatusWidget\"]')", timeout=30_000
    )
    page.wait_for_timeout(1500)


def grid_text(page: Page) -> str:
    """What the page's HTML tables (st.table) show; st.dataframe draws on a canvas."""
    tables = page.locator("[data-testid='stTable']")
    return "\n".join(tables.nth(i).inner_text() for i in range(tables.count()))


def test_alerts_page_shows_channels_routes_maintenance_and_silences_never_a_url(
    site: Site,
) -> None:
    site.page.goto(f"{site.base}/alerts")
    settle(site.page)
    body = site.page.locator("body").inner_text()
    grids = grid_text(site.page)
    assert "ops-slack" in grids and "broken-hook" in grids and "slack" in grids
    assert "critical to ops" in grids and "severity=critical" in grids
    assert "no route above matched" in grids
    assert "Next: sap-sunday starts Sun" in body
    assert "carrier fixes the DLQ consumer" in grids
    html = site.page.content()
    assert SECRET not in html and "XXXXsecretXXXX" not in html and site.receiver.base not in html
    assert "Webhook URLs and keys are secrets" in body


def test_a_test_message_asked_on_the_page_is_sent_by_the_notify_job_and_shown(
    site: Site,
) -> None:
    page = site.page
    page.goto(f"{site.base}/alerts")
    settle(page)
    page.get_by_label("Your name").fill("lead@example.com")
    page.get_by_role("button", name="Send a test message").click()
    settle(page)
    assert page.get_by_text("Asked the daemon to send a test message to").count() == 1
    assert "waiting for the daemon to send it" in page.locator("body").inner_text()

    site.notify()
    tests = [r for r in site.receiver.for_service("slack") if "test message" in r.text()]
    assert [r.path for r in tests] == [f"/slack/broken/{SECRET}"] and not tests[0].errors

    page.goto(f"{site.base}/alerts")
    settle(page)
    page.wait_for_timeout(15_000)  # past the page's query cache
    page.reload()
    settle(page)
    body = page.locator("body").inner_text()
    # the first channel in the list is the broken one: its test says so, with the service's answer
    assert "Last test to broken-hook, asked by lead@example.com" in body
    assert "not delivered: HTTP 404: no_service" in body
    for status in ("sent", "undelivered", "muted"):
        assert f" {status} (" in body, (status, body[-2000:])
    page.screenshot(path=str(ARTIFACTS / "app-alerts.png"), full_page=True)


def test_owners_and_integration_pages_show_the_team_and_an_edit_link(site: Site) -> None:
    page = site.page
    page.goto(f"{site.base}/owners")
    settle(page)
    owners = page.locator("body").inner_text()
    assert "Sales Systems (sales)" in owners and "Payments Platform (payments)" in owners
    assert "declared in inventory/sales.toml:" in owners
    page.goto(f"{site.base}/integration?integration=crm-orders-to-erp")
    settle(page)
    body = page.locator("body").inner_text()
    assert "Sales Systems (sales)" in body
    assert "Marta Keller" in body
    assert page.get_by_role("link", name="on-call").count() >= 1
    edit = page.get_by_role("link", name="Edit in your repository")
    href = edit.get_attribute("href") or ""
    lines = (site.ws.root / "inventory" / "sales.toml").read_text().splitlines()
    line = int(href.rsplit("#L", 1)[1])
    assert href.startswith("https://git.example.com/inv/-/blob/main/inventory/sales.toml#L")
    assert lines[line - 1] == "[[integration]]" and lines[line] == 'id = "crm-orders-to-erp"'
    assert f"Declared in inventory/sales.toml:{line}" in body
