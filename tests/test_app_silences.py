"""The dashboard marks a finding silenced exactly when the alerts stage mutes it, tag-based and
system-based silences included: both judge with `seamwatch.matching`."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from alerts.silences import Muter
from app.silences import silenced_mask
from cli import main
from seamwatch.findings import Finding
from seamwatch.matching import normalise
from seamwatch.silences import Silence
from tests.app_workspaces import AppWorkspace, clone, demo_workspace
from tests.pinned_clock import PINNED
from tests.test_app_pages import PAGES, open_page, table, texts

pytestmark = pytest.mark.pinned_clock

NOW = PINNED


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> AppWorkspace:
    return demo_workspace(tmp_path_factory.mktemp("demo"))


def test_findings_page_shows_findings_under_a_tag_silence_as_silenced(
    demo: AppWorkspace, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ws = clone(demo, tmp_path / "ws")
    # crm-orders-to-erp is tagged orders, erp, revenue; its error-rate drift is a warning
    code = main(
        ["silence", "add", "-m", "tag=erp", "-m", "severity=warning", "--duration", "2h",
         "-c", "ERP change freeze", "-a", "ana", "--config", str(ws.config)]
    )  # fmt: skip
    assert code == 0
    tags = ws.store.scalar("SELECT tags FROM v_findings WHERE integration_id = 'crm-orders-to-erp'")
    assert tags == ["orders", "erp", "revenue"]
    at = open_page(ws, monkeypatch, PAGES[1])
    shown = table(at)
    silenced = dict(zip(shown["summary"], shown["silenced"], strict=True))
    assert silenced == {
        "error rate drifting up, 0.10% → 0.42% over 7 days": True,  # erp and a warning
        "throughput 12% lower than the same hours last week": False,  # erp, but info
        "p95 latency up 64% week over week, 180 ms → 295 ms": False,
        "DLQ never drains: 40 → 410 messages over 3 days": False,
    }
    assert "silenced 1" in texts(at)
    assert "severity=warning, tags=erp" in texts(at)  # listed under active silences

    at.toggle(key="hide_silenced").set_value(True).run()
    assert "error rate drifting up, 0.10% → 0.42% over 7 days" not in set(table(at)["summary"])


def finding(**fields: object) -> Finding:
    base: dict[str, object] = {
        "finding_id": "f1",
        "fingerprint": "fp1",
        "integration_id": "crm-orders-to-erp",
        "name": "CRM orders to ERP",
        "owner": "sales",
        "metric": "error_rate",
        "detector": "drift",
        "severity": "warning",
        "summary": "error rate drifting up",
        "status": "open",
        "first_seen": NOW - timedelta(days=1),
        "last_seen": NOW,
        "tier": 1,
        "lifecycle": "active",
        "source_system": "CRM",
        "target_system": "SAP ERP",
        "tags": ("orders", "erp"),
    }
    return Finding(**{**base, **fields})  # type: ignore[arg-type]


FINDINGS = [
    finding(),
    finding(finding_id="f2", integration_id="payroll-export", owner="people", tier=2,
            source_system="HR", target_system="Payroll", tags=("pii",), severity="critical"),
    finding(finding_id="f3", integration_id="legacy-edi", owner=None, tier=None, tags=(),
            source_system=None, target_system="SAP ERP", lifecycle="deprecated"),
]  # fmt: skip


@pytest.mark.parametrize(
    ("matchers", "muted"),
    [
        ({"tag": "erp"}, [True, False, False]),
        ({"tags": ["pii", "edi"]}, [False, True, False]),
        ({"tag": "e*"}, [True, False, False]),
        ({"system": "SAP*"}, [True, False, True]),
        ({"team": "people"}, [False, True, False]),
        ({"tier": "1"}, [True, False, False]),
        ({"tier": ["2", "3"], "severity": "critical"}, [False, True, False]),
        ({"lifecycle": "deprecated", "target_system": "SAP ERP"}, [False, False, True]),
        ({"integration": "legacy-*", "tag": "erp"}, [False, False, False]),
        ({"owner": "*"}, [True, True, False]),  # no owner: nothing to match
        ({"finding_id": "f2"}, [False, True, False]),
        ({"colour": "red"}, [False, False, False]),  # a field findings do not have
    ],
)
def test_dashboard_and_alerts_agree_on_what_a_silence_mutes(
    matchers: dict[str, object], muted: list[bool]
) -> None:
    stored = json.dumps(matchers)  # as the silences table holds them
    silence = Silence("s1", normalise(json.loads(stored)), NOW - timedelta(hours=1),
                      NOW + timedelta(hours=1), "why", "ana", NOW)  # fmt: skip
    muter = Muter([silence], [], NOW)
    assert [muter.muted_by(f) is not None for f in FINDINGS] == muted
    # as the dashboard reads them from v_findings: tags a list (or NULL), tier a nullable int
    rows = pd.DataFrame([{**f.__dict__, "tags": list(f.tags) or None} for f in FINDINGS])
    rows = rows.astype({"tier": "Int32"})
    assert silenced_mask(rows, pd.DataFrame({"matchers": [stored]})).tolist() == muted
