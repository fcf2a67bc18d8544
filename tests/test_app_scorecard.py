"""The Scorecard page and the Integration page's governance part, through Streamlit's AppTest."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.app_workspaces import AppWorkspace, demo_workspace, empty_workspace
from tests.test_app_pages import open_page, texts

pytestmark = pytest.mark.pinned_clock

SCORECARD = "views/scorecard.py"


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> AppWorkspace:
    return demo_workspace(tmp_path_factory.mktemp("demo"))


def test_scorecard_page_shows_fleet_teams_and_integrations(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, SCORECARD)
    assert not at.error, [e.value for e in at.error]
    assert at.title[0].value == "Scorecard"
    assert "Fleet score" in texts(at)
    totals, teams, integrations = (at.dataframe[i].value for i in range(3))
    assert list(totals["check_name"])[:3] == ["owner", "samples", "slo"]
    assert {"finance", "logistics", "payments", "sales"} <= set(teams["team"])
    assert "payments-webhook" in " ".join(integrations["open"])
    at.selectbox(key="team").select("payments").run()
    assert set(at.dataframe[2].value["owner"]) == {"payments"}
    at.selectbox(key="integration").select("payments-webhook").run()
    checks = at.dataframe[3].value
    assert "✅ yes" in set(checks["status"])
    reasons = " ".join(checks["reason"])
    assert "DLQ payments.events.v1.dlq" in reasons


def test_integration_page_shows_its_scorecard_and_contract(
    demo: AppWorkspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page(demo, monkeypatch, "views/integration.py", integration="payments-webhook")
    shown = texts(at)
    assert "Scorecard" in shown and "Contract" in shown
    assert "not checked yet" in shown


@pytest.mark.parametrize("migrated", [False, True])
def test_scorecard_page_on_a_new_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, migrated: bool
) -> None:
    at = open_page(empty_workspace(tmp_path, migrated=migrated), monkeypatch, SCORECARD)
    assert not at.error, [e.value for e in at.error]
    assert at.info or at.caption
