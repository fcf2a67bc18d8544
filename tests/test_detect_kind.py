"""A finding's kind: declared by its registry line, carried into the store, read by health.

Health keys on the kind (`stale` means no data), not on detector names, and says exactly what
it said when it keyed on `no_data`; a detector whose name differs from its registry key
resolves through what its line declares it emits.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pandas as pd

from detectors import DETECTORS, emitted_names, kind_of
from detectors.lifecycle import apply_findings
from detectors.types import INVENTORY_METRIC, Finding, Severity
from seamwatch.store import Store
from seamwatch.store.schema import migrations
from tests.detector_series import AS_OF

STEP = timedelta(minutes=5)


def declared(entry: str, detector: str, iid: str, severity: Severity, metric: str = "") -> Finding:
    """A finding as the engine hands it on: stamped by its registry entry."""
    found, undeclared = DETECTORS[entry].stamp(
        [Finding(iid, metric, detector, severity, f"{detector} on {iid}: 3 of 4", {"n": 3})]
    )
    assert undeclared == []
    return found[0]


def store_at(tmp_path: Path) -> Store:
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    with store.write() as con:
        for iid in ("quiet", "stale", "owner", "slow", "late"):
            con.execute(
                "INSERT INTO integrations (id, name, owner, tier, pattern, lifecycle)"
                " VALUES (?, ?, 'team', 2, 'sync-api', 'active')",
                [iid, iid],
            )
    return store


FINDINGS = [
    ("no_data", "no_data", "stale", Severity.WARNING),
    ("hygiene", "past_sunset", "owner", Severity.WARNING),  # housekeeping, still degrading
    ("hygiene", "no_owner", "slow", Severity.INFO),
    ("jobs", "job_missed", "late", Severity.CRITICAL),
]


def test_the_lifecycle_stores_the_declared_kind_and_v_findings_shows_it(tmp_path: Path) -> None:
    store = store_at(tmp_path)
    findings = [declared(e, d, i, s) for e, d, i, s in FINDINGS]
    apply_findings(store, findings, AS_OF, resolve_after=1, detectors_ran=[])
    kinds = store.query("SELECT detector, kind FROM v_findings ORDER BY detector")
    assert dict(zip(kinds["detector"], kinds["kind"], strict=True)) == {
        "job_missed": "degradation",
        "no_data": "stale",
        "past_sunset": "housekeeping",
        "no_owner": "housekeeping",
    }
    assert {d: kind_of(d).value for d in kinds["detector"]} == dict(
        zip(kinds["detector"], kinds["kind"], strict=True)
    )


def test_health_by_kind_is_what_health_by_detector_name_said(tmp_path: Path) -> None:
    """health_at of migration 043 (keyed on detector = 'no_data') against today's (on kind)."""
    store = store_at(tmp_path)
    findings = [declared(e, d, i, s) for e, d, i, s in FINDINGS]
    apply_findings(store, findings, AS_OF, resolve_after=1, detectors_ran=[])
    old = next(m for m in migrations() if m.version == 43).sql
    macro = old[old.index("CREATE OR REPLACE MACRO health_at") :].split("CREATE OR REPLACE VIEW")[0]
    columns = "integration_id, health, reason, open_findings, since"
    with store.read() as con:
        now = con.execute(f"SELECT {columns} FROM v_health ORDER BY 1").df()
    with store.write() as con:
        con.execute(macro.replace("MACRO health_at", "MACRO health_by_name"))
        before = con.execute(f"SELECT {columns} FROM health_by_name() ORDER BY 1").df()
    pd.testing.assert_frame_equal(before, now)
    assert dict(zip(now["integration_id"], now["health"], strict=True)) == {
        "late": "failing",
        "owner": "degrading",
        "quiet": "unmonitored",
        "slow": "unmonitored",
        "stale": "no data",
    }


def test_rows_from_before_the_kind_get_the_kind_their_name_had(tmp_path: Path) -> None:
    """Migration 100's backfill, replayed on rows written without a kind."""
    store = store_at(tmp_path)
    with store.write() as con:
        for n, detector in enumerate(["no_data", "sunset_soon", "no_owner", "trend", "job_late"]):
            con.execute(
                "INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector,"
                " severity, summary, evidence, status, first_seen, last_seen, kind)"
                " VALUES (?, ?, 'quiet', ?, ?, 'warning', 's', '{}', 'open', ?, ?, NULL)",
                [f"f{n}", f"fp{n}", INVENTORY_METRIC, detector, AS_OF, AS_OF],
            )
        con.execute(next(m for m in migrations() if m.version == 100).sql)
    kinds = store.query("SELECT detector, kind FROM findings ORDER BY detector")
    got = dict(zip(kinds["detector"], kinds["kind"], strict=True))
    assert got == {d: kind_of(d).value for d in got}  # the registry agrees with the backfill


def test_a_renamed_finding_resolves_through_what_its_entry_declares(tmp_path: Path) -> None:
    """`review_overdue` is no registry key: it resolves because `hygiene` declares it."""
    store = store_at(tmp_path)
    overdue = declared("hygiene", "review_overdue", "owner", Severity.INFO)
    ran = emitted_names(["hygiene"])
    apply_findings(store, [overdue], AS_OF, resolve_after=1, detectors_ran=ran)
    apply_findings(store, [], AS_OF + STEP, resolve_after=1, detectors_ran=ran)
    status = store.query("SELECT status FROM findings WHERE detector = 'review_overdue'")
    assert list(status["status"]) == ["resolved"]
