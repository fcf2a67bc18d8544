"""The integration checklist as a scorecard: checks with reasons, weights per tier, the strict
gate, failure handling and the deprecation plan in the inventory, the `inventory new` scaffold."""

from __future__ import annotations

import json
import textwrap
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seamwatch.inventory import load_inventory
from seamwatch.scorecard import (
    ScorecardSettings,
    fleet_score,
    integration_scores,
    read_checks,
    team_scores,
)
from seamwatch.store import Store
from tests.conftest import Workspace
from tests.detector_series import AS_OF, Fleet, by_detector, grid, integration, inventory, run

T = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)

GOVERNED = """
[defaults]
owner = "orders"
contacts = ["orders@example.com"]
review_cadence = "90d"
last_review = 2026-11-01

[[integration]]
id = "orders-events"
name = "Order events"
source_system = "Shop"
target_system = "ERP"
pattern = "event"
tier = 1
contract = { spec = "https://contracts.example.com/asyncapi/orders.yaml" }
slo = { latency_p95_ms = 500 }
failure_handling = { retries = "exponential, max 5", idempotency_key = "orderId", dlq = "orders.dlq" }
collect = { throughput = "demo", dlq_depth = "demo" }

[[integration]]
id = "orders-api"
name = "Orders API"
source_system = "Shop"
target_system = "ERP"
pattern = "sync-api"
tier = 3
contract = { schema_subject = "orders-value" }
failure_handling = { retries = "none: the shop retries", idempotency_key = "orderId", dlq = "none" }
collect = { throughput = "demo" }

[[integration]]
id = "orders-legacy"
name = "Orders over SOAP"
owner = "legacy"
contacts = []
source_system = "Shop"
target_system = "ERP"
pattern = "event"
tier = 2
lifecycle = "deprecated"
sunset = 2026-12-31
last_review = 2026-01-01
failure_handling = { retries = "3", dlq = "soap.dlq" }
"""


@pytest.fixture
def governed(workspace: Workspace) -> Workspace:
    workspace.write("inventory/payments.toml", GOVERNED)
    return workspace


def _checks(ws: Workspace, policy: ScorecardSettings | None = None, at=T) -> pd.DataFrame:
    inv = load_inventory(["inventory/*.toml"], ws.root)
    assert not inv.errors
    store = Store(ws.store_path)
    store.sync_inventory(inv, T)
    ts = pd.date_range(T - timedelta(hours=2), T, freq="1min", tz="UTC")
    rows = [("orders-events", "throughput", 5.0), ("orders-events", "dlq_depth", 0.0)]
    store.write_samples(
        pd.DataFrame(
            [
                {"ts": t, "integration_id": i, "metric": m, "value": v, "source": "demo"}
                for t in ts
                for i, m, v in rows
            ]
        )
    )
    with store.read() as con:
        return read_checks(con, policy or ScorecardSettings(), at=at)


def _status(checks: pd.DataFrame, iid: str) -> dict[str, tuple[str, str]]:
    mine = checks[checks["integration_id"] == iid]
    return {r.check_name: (r.status, r.reason) for r in mine.itertuples()}


def test_scorecard_answers_every_check_with_its_reason(governed: Workspace) -> None:
    checks = _checks(governed)
    events = _status(checks, "orders-events")
    assert events["owner"] == ("yes", "orders, contact orders@example.com")
    assert events["samples"][0] == "yes"
    assert events["samples"][1].startswith("samples flowing, last at 2026-11-20 12:00 UTC")
    assert events["slo"] == ("yes", "SLOs: p95 ≤ 500.0 ms")
    assert events["contract"][0] == "yes"
    assert events["contract_valid"] == ("no", "not checked yet (seamwatch contracts check)")
    assert events["failure_handling"][0] == "yes"
    assert events["dlq_watched"][0] == "yes"
    assert events["dlq_watched"][1].startswith("DLQ orders.dlq, dlq_depth collected since")
    assert events["classified"] == ("yes", "tier 1, event")
    assert events["review"] == ("yes", "reviewed 2026-11-01, next due 2027-01-30")
    assert events["deprecation"] == ("n.a.", "not deprecated")

    api = _status(checks, "orders-api")
    assert api["samples"] == ("no", "no sample collected yet")
    assert api["slo"] == ("no", "no SLO in the inventory")
    assert api["contract"] == ("yes", "schema subject orders-value")
    assert api["contract_valid"] == ("n.a.", "no spec to fetch (schema subject only)")
    assert api["failure_handling"][0] == "yes"  # "none: ..." is a decision, so declared
    assert api["dlq_watched"] == ("n.a.", "not an event or stream integration")

    legacy = _status(checks, "orders-legacy")
    assert legacy["owner"] == ("no", "owner legacy has no contact")
    assert legacy["contract"][0] == "no"
    assert legacy["failure_handling"] == ("no", "not declared: idempotency_key")
    assert legacy["dlq_watched"] == ("no", "DLQ soap.dlq declared, but no dlq_depth samples")
    assert legacy["review"] == ("no", "review overdue since 2026-04-01 (last 2026-01-01)")
    assert legacy["deprecation"] == ("no", "missing: successor")


def test_scorecard_rolls_up_per_integration_team_and_fleet(governed: Workspace) -> None:
    checks = _checks(governed)
    per = integration_scores(checks).set_index("integration_id")
    # orders-events: 9 counted checks (deprecation n.a.), 8 yes (contract not checked yet)
    assert per.loc["orders-events", "score"] == pytest.approx(88.9)
    assert per.loc["orders-events", "failing"] == "contract_valid"
    teams = team_scores(checks).set_index("team")
    assert teams.loc["orders", "integrations"] == 2
    assert teams.loc["legacy", "passing"] == 0
    assert fleet_score(checks) is not None


def test_weights_and_counted_checks_are_configurable_per_tier(governed: Workspace) -> None:
    policy = ScorecardSettings.model_validate(
        {"weights": {"contract_valid": 0}, "tiers": {"1": {"samples": 3}}}
    )
    per = integration_scores(_checks(governed, policy)).set_index("integration_id")
    assert per.loc["orders-events", "score"] == pytest.approx(100.0)  # contract_valid not counted
    checks = _checks(governed, policy)
    events = checks[checks["integration_id"] == "orders-events"].set_index("check_name")
    assert events.loc["samples", "weight"] == 3.0


def test_scorecard_as_of_a_past_moment_sees_only_what_was_there(governed: Workspace) -> None:
    before = _checks(governed, at=T - timedelta(days=1))
    assert _status(before, "orders-events")["samples"] == ("no", "no sample collected yet")
    assert _status(before, "orders-events")["dlq_watched"][0] == "no"


def test_scorecard_command_prints_fleet_team_and_one_integration(governed: Workspace, cli) -> None:
    result = cli("scorecard")
    assert result.code == 0, result.err
    assert result.out.startswith("scorecard, fleet: ")
    assert "orders-events" in result.out
    result = cli("scorecard", "--view", "teams", "--format", "json")
    teams = {t["team"]: t for t in json.loads(result.out)}
    assert set(teams) == {"orders", "legacy"}
    result = cli("scorecard", "--team", "orders", "--view", "checks", "--format", "csv")
    frame = pd.read_csv(__import__("io").StringIO(result.out))
    assert set(frame["integration_id"]) == {"orders-events", "orders-api"}
    assert {"status", "reason", "weight"} <= set(frame.columns)
    result = cli("scorecard", "--integration", "nope")
    assert result.code == 2
    assert "'nope' is not in the inventory" in result.err
    result = cli("scorecard", "--team", "nobody")
    assert result.code == 2 and "--team: no integration owned by 'nobody'" in result.err


def test_bad_scorecard_config_is_one_line_naming_the_key(governed: Workspace, cli) -> None:
    config = governed.config.read_text() + "\n[scorecard]\nweights = { ownr = 1 }\n"
    governed.config.write_text(config)
    result = cli("check")
    assert result.code == 2
    assert "scorecard.weights.ownr" in result.out


def test_check_strict_fails_active_integrations_missing_owner_contract_slo_or_handling(
    governed: Workspace, cli
) -> None:
    assert cli("check").code == 0
    result = cli("check", "--strict")
    assert result.code == 2
    lines = [line for line in result.out.splitlines() if line.startswith("error:")]
    # orders-api is active without an SLO; orders-legacy is deprecated (not gated)
    assert lines == [
        f"error: {governed.root / 'inventory/payments.toml'}: orders-api.slo: active integration "
        "fails the scorecard check slo: no SLO in the inventory"
    ]


def test_failure_handling_is_validated(workspace: Workspace, cli) -> None:
    workspace.write(
        "inventory/bad.toml",
        """
        [[integration]]
        id = "bad-handling"
        name = "x"
        owner = "t"
        source_system = "a"
        target_system = "b"
        pattern = "event"
        tier = 2
        failure_handling = { retries = "", dlq_name = "x" }
        """,
    )
    result = cli("check")
    assert result.code == 2
    assert "bad.toml:9: integration[0].failure_handling.retries" in result.out
    assert "integration[0].failure_handling.dlq_name: unknown key" in result.out


def test_successor_must_exist(workspace: Workspace, cli) -> None:
    workspace.write(
        "inventory/old.toml",
        """
        [[integration]]
        id = "old-feed"
        name = "x"
        owner = "t"
        source_system = "a"
        target_system = "b"
        pattern = "file"
        tier = 3
        lifecycle = "deprecated"
        sunset = 2027-01-31
        successor = "new-feed"
        """,
    )
    result = cli("check")
    assert result.code == 2
    assert (
        f"{workspace.root / 'inventory/old.toml'}: old-feed.successor: successor 'new-feed' is not inventoried"
        in result.out
    )
    text = (
        (workspace.root / "inventory/old.toml").read_text().replace("new-feed", "payments-webhook")
    )
    (workspace.root / "inventory/old.toml").write_text(text)
    assert cli("check").code == 0


def test_sunset_warnings_30_and_7_days_before(tmp_path: Path) -> None:
    ts = grid(28)
    fleet = Fleet().add("old", "throughput", ts, np.full(ts.size, 2.0))
    for days, severity in ((31, None), (30, "info"), (8, "info"), (7, "warning"), (0, "warning")):
        inv = inventory(
            integration(
                "old", lifecycle="deprecated", sunset=(AS_OF + timedelta(days=days)).date()
            ),
        )
        found = by_detector(run(fleet, tmp_path / str(days), inv=inv), "sunset_soon")
        assert [f.severity.value for f in found] == ([severity] if severity else [])
        if severity:
            assert found[0].summary.startswith(
                f"sunset {(AS_OF + timedelta(days=days)).date()} in {days} day"
            )


def test_past_sunset_names_where_the_traffic_still_comes_from(tmp_path: Path) -> None:
    ts = grid(28)
    fleet = Fleet().add("old", "throughput", ts, np.full(ts.size, 3.0))
    inv = inventory(
        integration("new", lifecycle="active"),
        integration(
            "old",
            lifecycle="deprecated",
            sunset=(AS_OF - timedelta(days=5)).date(),
            successor="new",
            source_system="Web Shop",
        ),
    )
    [finding] = by_detector(run(fleet, tmp_path, inv=inv), "past_sunset")
    assert "still carrying 3.0/s (last 24 h) from Web Shop via source test; successor new" in (
        finding.summary
    )
    assert finding.evidence["sources"] == ["test"]


def test_inventory_new_writes_a_complete_commented_entry_that_loads(
    workspace: Workspace, cli
) -> None:
    target = workspace.root / "inventory" / "orders.toml"
    result = cli(
        "inventory", "new", "--id", "orders-v2", "--name", "Orders v2", "--owner", "orders",
        "--contact", "orders@example.com", "--source", "Shop", "--target", "ERP",
        "--pattern", "event", "--tier", "2", "--spec", "specs/orders.yaml",
        "--retries", "exponential, max 5", "--idempotency-key", "orderId", "--dlq", "orders.dlq",
        "--slo-latency-p95-ms", "300", "--out", str(target), "--no-input",
    )  # fmt: skip
    assert result.code == 0, result.err
    text = target.read_text()
    assert "# sunset = 2027-06-30  # the retirement date, required once deprecated" in text
    assert 'pattern = "event"  # sync-api | event | batch | file | stream' in text
    inv = load_inventory(["inventory/*.toml"], workspace.root)
    assert not inv.errors
    new = inv.get("orders-v2")
    assert new is not None and new.lifecycle.value == "planned"
    assert new.failure_handling is not None and new.failure_handling.dlq == "orders.dlq"
    again = cli(
        "inventory", "new", "--id", "orders-v2", "--name", "x", "--owner", "o", "--contact", "c",
        "--source", "a", "--target", "b", "--pattern", "event", "--tier", "2",
        "--out", str(target), "--no-input",
    )  # fmt: skip
    assert again.code == 2
    assert f"{target}: id: already has integration id 'orders-v2'" in again.err
    missing = cli("inventory", "new", "--id", "x", "--no-input")
    assert missing.code == 2 and "missing --name, --owner" in missing.err


def test_inventory_new_asks_for_what_flags_do_not_give(workspace: Workspace, capsys) -> None:
    import argparse

    from cli.common import Context
    from cli.inventory_cmd import run_new

    answers = iter(["asked-one", "Asked", "", "team", "t@example.com", "", "A", "B", "file", "3"])
    parser_args = argparse.Namespace(
        config=str(workspace.config), no_input=False, lifecycle="planned", endpoint=[], tag=[],
        spec=None, schema_subject=None, contract_version=None, slo_latency=None,
        slo_error_rate=None, retries=None, idempotency_key=None, dlq=None, runbook=None,
        out=None, contact=[], **{k: None for k in ("id", "name", "description", "owner",
        "chat_route", "source", "target", "pattern", "tier")},
    )  # fmt: skip
    import sys

    class Tty:
        def isatty(self) -> bool:
            return True

    old = sys.stdin
    sys.stdin = Tty()  # type: ignore[assignment]
    try:
        assert run_new(Context(parser_args), ask=lambda _prompt: next(answers)) == 0
    finally:
        sys.stdin = old
    out = capsys.readouterr().out
    assert 'id = "asked-one"' in out and 'pattern = "file"' in out and "tier = 3" in out
    assert textwrap.dedent(out).count("[[integration]]") == 1


def test_weekly_review_has_a_scorecard_section_with_the_change_since_last_week(
    governed: Workspace,
) -> None:
    from zoneinfo import ZoneInfo

    from reports.weeks import Week
    from reports.writer import write_report
    from seamwatch.config import load_settings

    _checks(governed)  # samples on Fri 20 Nov only: week 47 has them, week 46 did not
    settings = load_settings(governed.config)
    week = Week.parse("2026-W47", ZoneInfo("UTC"))
    written = write_report(settings, week=week, now=T + timedelta(days=5))
    text = written.md_path.read_text()
    section = text.split("## Scorecard", 1)[1].split("\n## ", 1)[0]
    assert "since last week, when it was" in section
    assert "| orders |" in section
    assert "**Now yes** (2): orders-events samples (samples flowing" in section
    assert "orders-events dlq\\_watched" in section or "orders-events dlq_watched" in section
    html = written.html_path.read_text()
    assert "<h2>Scorecard</h2>" in html and "Now yes" in html
