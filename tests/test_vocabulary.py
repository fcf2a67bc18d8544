"""The spine's vocabulary: severity and its order (in Python and in the store's SQL), and the
finding as every reader sees it, read from a real store."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pandas as pd

from seamwatch.findings import FINDING_COLUMNS, Finding, findings_from_rows, load_findings
from seamwatch.inventory import load_inventory
from seamwatch.matching import matches, normalise
from seamwatch.severity import (
    SEVERITIES,
    Severity,
    rank_macro_sql,
    severity_rank,
    worst,
    worst_first,
)
from seamwatch.store import Store
from seamwatch.store.schema import define_macros
from tests.conftest import INVENTORY

T0 = datetime(2026, 11, 16, 9, tzinfo=UTC)


def test_severities_are_listed_worst_first_and_ranked_critical_highest() -> None:
    assert [s.value for s in SEVERITIES] == ["critical", "warning", "info"]
    assert [s.rank for s in SEVERITIES] == [3, 2, 1]
    assert severity_rank("warning") == Severity.WARNING.rank == 2
    assert severity_rank("bogus") == severity_rank(None) == 0
    assert worst(["info", "critical", "warning"]) == "critical"
    assert worst([]) == "info"
    assert sorted(["info", "nope", "critical", "warning"], key=worst_first) == [
        "critical",
        "warning",
        "info",
        "nope",
    ]


def test_detectors_severity_is_the_spines() -> None:
    from detectors.types import Severity as DetectorSeverity

    assert DetectorSeverity is Severity


def test_sql_severity_rank_is_generated_from_the_enum() -> None:
    con = duckdb.connect()
    con.execute(rank_macro_sql())
    got = con.execute(
        "SELECT severity_rank('critical'), severity_rank('warning'), severity_rank('info'),"
        " severity_rank('other'), severity_rank(NULL)"
    ).fetchone()
    assert got == (3, 2, 1, 0, 0)


def test_store_defines_severity_rank_when_it_migrates_and_repairs_a_drifted_copy(
    tmp_path: Path,
) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    assert store.scalar("SELECT severity_rank('critical')") == 3
    with duckdb.connect(str(store.path)) as con:  # someone redefined it by hand
        con.execute("CREATE OR REPLACE MACRO severity_rank(s) AS 7")
        define_macros(con)
        assert con.execute("SELECT severity_rank('info')").fetchone() == (1,)


def _store_with_findings(tmp_path: Path) -> Store:
    (tmp_path / "inv.toml").write_text(INVENTORY, encoding="utf-8")
    inventory = load_inventory([str(tmp_path / "inv.toml")], base_dir=tmp_path)
    store = Store(tmp_path / "s.duckdb")
    store.sync_inventory(inventory, T0)
    rows = [
        ("a:1", "a", "crm-orders-to-erp", "latency_p95_ms", "trend", "warning", "open", None,
         '{"baseline": 412, "current": 507}', T0 - timedelta(hours=6)),
        ("b:1", "b", "payments-webhook", "error_rate", "slo_burn", "critical", "resolved",
         T0 + timedelta(hours=2), None, None),
        ("c:1", "c", "ghost-link", "", "not_inventoried", "info", "open", None, None, None),
    ]  # fmt: skip
    with store.write() as con:
        for fid, fp, iid, metric, det, sev, status, resolved, evidence, onset in rows:
            con.execute(
                "INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector,"
                " severity, summary, evidence, status, first_seen, last_seen, resolved_at, onset)"
                " VALUES (?, ?, ?, ?, ?, ?, 'summary of ' || ?, ?, ?, ?, ?, ?, ?)",
                [fid, fp, iid, metric, det, sev, fid, evidence, status, T0, T0, resolved, onset],
            )
    return store


def test_read_model_carries_every_column_readers_use_with_onset_and_integration_facts(
    tmp_path: Path,
) -> None:
    store = _store_with_findings(tmp_path)
    found = {f.finding_id: f for f in load_findings(store)}
    crm = found["a:1"]
    assert crm == Finding(
        finding_id="a:1",
        fingerprint="a",
        integration_id="crm-orders-to-erp",
        name="CRM orders to ERP",
        owner="payments",
        metric="latency_p95_ms",
        detector="trend",
        severity="warning",
        summary="summary of a:1",
        status="open",
        first_seen=T0,
        last_seen=T0,
        tier=1,
        lifecycle="active",
        chat_route="payments",
        runbook="https://runbooks.example.com/crm-orders",
        source_system="CRM",
        target_system="SAP ERP",
        tags=("orders",),
        onset=T0 - timedelta(hours=6),
        pattern="sync-api",
        inventoried=True,
    )
    assert crm.evidence == {"baseline": 412, "current": 507}
    assert crm.began == T0 - timedelta(hours=6)
    assert found["b:1"].began == T0  # no onset recorded: the view falls back to first_seen
    assert found["b:1"].resolved_at == T0 + timedelta(hours=2)
    ghost = found["c:1"]  # in no inventory file: named by its id, no owner
    assert (ghost.name, ghost.owner, ghost.inventoried, ghost.tags) == (
        "ghost-link",
        None,
        False,
        (),
    )
    hash(crm)  # frozen and hashable despite its evidence


def test_reader_filters_by_status_integration_owner_ids_and_activity(tmp_path: Path) -> None:
    store = _store_with_findings(tmp_path)

    def ids(**filters: object) -> list[str]:
        return [f.finding_id for f in load_findings(store, **filters)]

    assert ids() == ["a:1", "b:1", "c:1"]
    assert ids(status="open") == ["a:1", "c:1"]
    assert ids(integration_id="payments-webhook") == ["b:1"]
    assert ids(owner="payments") == ["a:1", "b:1"]
    assert ids(finding_ids=["c:1", "a:1"]) == ["a:1", "c:1"]
    assert ids(active_since=T0 + timedelta(hours=3)) == ["a:1", "c:1"]
    assert ids(active_since=T0 + timedelta(hours=1)) == ["a:1", "b:1", "c:1"]
    assert load_findings(Store(tmp_path / "absent.duckdb")) == []


def test_worst_first_orders_by_severity_then_tier_then_onset(tmp_path: Path) -> None:
    store = _store_with_findings(tmp_path)
    ordered = sorted(load_findings(store), key=lambda f: f.worst_first)
    assert [f.finding_id for f in ordered] == ["b:1", "a:1", "c:1"]


def test_rows_read_through_pandas_become_the_same_findings(tmp_path: Path) -> None:
    store = _store_with_findings(tmp_path)
    frame = store.query(f"SELECT {', '.join(FINDING_COLUMNS)} FROM v_findings ORDER BY finding_id")
    via_pandas = findings_from_rows(frame.to_dict("records"))  # tier a float, NaT, numpy tags
    assert via_pandas == sorted(load_findings(store), key=lambda f: f.finding_id)
    assert via_pandas[0].tier == 1 and isinstance(via_pandas[0].tier, int)


def test_a_minimal_row_gets_defaults_and_a_float_tier_matches_tier_matchers() -> None:
    row = {
        "finding_id": "x",
        "fingerprint": "x",
        "integration_id": "crm-orders-to-erp",
        "name": None,
        "owner": "payments",
        "metric": None,
        "detector": "no_owner",
        "severity": "info",
        "summary": "s",
        "status": "open",
        "first_seen": pd.Timestamp(T0),
        "last_seen": pd.Timestamp(T0),
        "resolved_at": pd.NaT,
        "tier": 2.0,
        "tags": ["erp", "orders"],
        "source_system": "CRM",
        "target_system": math.nan,
    }
    f = Finding.from_row(row)
    assert (f.name, f.metric, f.tier, f.resolved_at, f.target_system) == (
        "crm-orders-to-erp",
        "",
        2,
        None,
        None,
    )
    assert isinstance(f.first_seen, datetime) and f.first_seen == T0
    assert matches(f, normalise({"tier": 2, "tag": "er*", "system": "CRM"}))
    assert not matches(f, normalise({"team": "billing"}))
    assert f.as_dict()["tags"] == ["erp", "orders"]


def test_every_field_of_the_read_model_is_a_column_of_v_findings(tmp_path: Path) -> None:
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    columns = set(store.query("SELECT * FROM v_findings LIMIT 0").columns)
    assert set(FINDING_COLUMNS) <= columns
