"""Finding lifecycle: open, update, resolve after hysteresis, reopen as a new episode."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd

from detectors.lifecycle import apply_findings, fingerprint
from detectors.types import Finding, Severity
from seamwatch.store import Store
from tests.detector_series import AS_OF

T0 = AS_OF
STEP = timedelta(minutes=5)


def finding(
    severity: Severity = Severity.WARNING,
    summary: str = "p95 latency up 23% week over week, 412 ms → 507 ms",
) -> Finding:
    return Finding("crm", "latency_p95_ms", "week_over_week", severity, summary, {"change": 0.23})


def rows(store: Store) -> pd.DataFrame:
    return store.query(
        "SELECT finding_id, status, severity, summary, first_seen, last_seen, resolved_at, clear_count"
        " FROM findings ORDER BY first_seen"
    )


def apply(store: Store, findings: list[Finding], at, ran=("week_over_week",)):
    return apply_findings(store, findings, at, resolve_after=3, detectors_ran=list(ran))


def test_repeated_detection_updates_one_open_finding(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    first = apply(store, [finding()], T0)
    second = apply(
        store,
        [finding(Severity.CRITICAL, "p95 latency up 45% week over week, 412 ms → 597 ms")],
        T0 + STEP,
    )
    assert (first.opened, second.opened, second.updated) == (1, 0, 1)
    table = rows(store)
    assert len(table) == 1
    row = table.iloc[0]
    assert row.status == "open" and row.severity == "critical"
    assert "45%" in row.summary
    assert row.first_seen == pd.Timestamp(T0) and row.last_seen == pd.Timestamp(T0 + STEP)
    assert row.finding_id.startswith(fingerprint("crm", "latency_p95_ms", "week_over_week"))


def test_resolves_only_after_the_configured_number_of_clear_evaluations(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    apply(store, [finding()], T0)
    apply(store, [], T0 + STEP)
    apply(store, [], T0 + 2 * STEP)
    assert rows(store).iloc[0].status == "open"  # two clear runs: not yet
    apply(store, [finding()], T0 + 3 * STEP)  # back again: the clear count starts over
    apply(store, [], T0 + 4 * STEP)
    apply(store, [], T0 + 5 * STEP)
    assert rows(store).iloc[0].clear_count == 2
    result = apply(store, [], T0 + 6 * STEP)
    assert result.resolved == 1
    row = rows(store).iloc[0]
    assert row.status == "resolved" and row.resolved_at == pd.Timestamp(T0 + 6 * STEP)


def test_a_detector_that_did_not_run_does_not_clear_its_findings(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    apply(store, [finding()], T0)
    for i in range(1, 5):
        apply(store, [], T0 + i * STEP, ran=("trend",))
    assert rows(store).iloc[0].status == "open"


def test_reopening_after_resolution_starts_a_new_episode_and_keeps_history(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    apply(store, [finding()], T0)
    for i in range(1, 4):
        apply(store, [], T0 + i * STEP)
    apply(store, [finding()], T0 + 10 * STEP)
    table = rows(store)
    assert list(table.status) == ["resolved", "open"]
    assert table.finding_id.nunique() == 2
    assert table.iloc[1].first_seen == pd.Timestamp(T0 + 10 * STEP)
    runs = store.query("SELECT opened, updated, resolved FROM detector_runs ORDER BY as_of")
    assert runs.opened.sum() == 2 and runs.resolved.sum() == 1


def test_health_follows_open_findings(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    store.write_samples(
        pd.DataFrame(
            {
                "ts": [pd.Timestamp(T0)] * 2,
                "integration_id": ["crm", "fine"],
                "metric": ["latency_p95_ms"] * 2,
                "value": [400.0, 80.0],
                "source": ["test"] * 2,
            }
        )
    )
    apply(store, [finding(Severity.CRITICAL)], T0)
    health = store.query(
        "SELECT integration_id, health, coalesce(reason, '') AS reason FROM v_health ORDER BY 1"
    )
    assert health.to_dict(orient="records") == [
        {"integration_id": "crm", "health": "failing", "reason": finding().summary},
        {"integration_id": "fine", "health": "ok", "reason": ""},
    ]
    view = store.query("SELECT integration_id, detector, severity, status FROM v_findings")
    assert view.to_dict(orient="records") == [
        {
            "integration_id": "crm",
            "detector": "week_over_week",
            "severity": "critical",
            "status": "open",
        }
    ]
