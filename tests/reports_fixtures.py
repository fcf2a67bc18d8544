"""A demo fleet workspace for the weekly-review tests, with findings, notifications and runs.

The demo is anchored at Monday 2026-11-23 00:00 UTC and backfilled for three weeks at a 5-minute
step, so ISO week 2026-W47 (Europe/Berlin: 2026-11-15 23:00 to 2026-11-22 23:00 UTC) holds the
scripted situations, and 2026-W46 is the week it is compared with.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from collectors.demo import DemoSource
from collectors.runner import run_backfill
from detectors import kind_of
from seamwatch.config import Settings, load_settings
from seamwatch.inventory import load_inventory
from seamwatch.store import Store

REPO = Path(__file__).resolve().parents[1]
BERLIN = ZoneInfo("Europe/Berlin")
ANCHOR = datetime(2026, 11, 23, tzinfo=UTC)
NOW = ANCHOR + timedelta(hours=2)  # Monday 03:00 in Berlin: W47 is the last complete week
W47 = (datetime(2026, 11, 16, tzinfo=BERLIN), datetime(2026, 11, 23, tzinfo=BERLIN))
W46 = (datetime(2026, 11, 9, tzinfo=BERLIN), datetime(2026, 11, 16, tzinfo=BERLIN))

DEMO_CONFIG = """
[store]
path = "data/seamwatch.duckdb"
lock_timeout = "5s"

[inventory]
paths = ["inventory/*.toml"]

[[sources]]
name = "demo"
kind = "demo"
interval = "5m"
seed = 7

[scheduler]
metrics_port = 0

[reports]
timezone = "Europe/Berlin"
top_n = 6
chat_route = "integration-review"
"""


def utc(day: int, hour: int, minute: int = 0, month: int = 11) -> datetime:
    return datetime(2026, month, day, hour, minute, tzinfo=UTC)


# (integration, metric, detector, severity, summary, first_seen, resolved_at)
FINDINGS = [
    ("crm-orders-to-erp", "latency_p95_ms", "trend", "warning",
     "p95 latency up 21% week over week", utc(18, 10), None),
    ("payments-webhook", "error_rate", "shift", "critical",
     "error rate stepped from 0.2% to 1.5%", utc(20, 13), None),
    ("shipment-events", "dlq_depth", "dlq", "warning",
     "DLQ grows and does not drain", utc(21, 9), None),
    ("inventory-sync", "throughput", "trend", "warning",
     "throughput down 50% against the same hours last week", utc(20, 6), None),
    ("pos-sales-stream", "", "no_data", "critical",
     "no samples for 30 minutes", utc(22, 18, 30), None),
    ("carrier-rates-api", "error_rate", "shift", "warning",
     "error rate up from 0.2% to 0.6%", utc(10, 8), utc(17, 12)),
    ("fraud-score-api", "latency_p95_ms", "trend", "info",
     "p95 latency creeping up 4% a week", utc(3, 9), None),
]  # fmt: skip

# (channel, event, status, created_at, integration)
NOTIFICATIONS = [
    ("payments", "open", "sent", utc(20, 13, 5), "payments-webhook"),
    ("sales", "open", "sent", utc(18, 10, 5), "crm-orders-to-erp"),
    ("logistics", "open", "sent", utc(21, 9, 5), "shipment-events"),
    ("logistics", "open", "failed", utc(20, 6, 5), "inventory-sync"),
    ("finance", "open", "undelivered", utc(22, 18, 35), "pos-sales-stream"),
    ("payments", "test", "sent", utc(19, 9), None),
    ("logistics", "open", "sent", utc(10, 8, 5), "carrier-rates-api"),
    ("logistics", "repeat", "sent", utc(12, 8, 5), "carrier-rates-api"),
]


@dataclass
class DemoWorkspace:
    root: Path
    settings: Settings
    store: Store


def seed_demo(root: Path, config: str = DEMO_CONFIG, weeks: int = 3) -> DemoWorkspace:
    """What `seamwatch demo` does, with the anchor fixed instead of the wall clock."""
    (root / "inventory").mkdir(parents=True, exist_ok=True)
    for path in (REPO / "data" / "inventory").glob("*.toml"):
        shutil.copy(path, root / "inventory" / path.name)
    (root / "config.toml").write_text(config, encoding="utf-8")
    settings = load_settings(root / "config.toml")
    inventory = load_inventory(settings.inventory.paths, settings.base_dir)
    store = Store.from_settings(settings)
    store.migrate()
    store.sync_inventory(inventory, ANCHOR)
    block = settings.sources[0]
    source = DemoSource(block, DemoSource.Options.model_validate(block.options()))
    for result in run_backfill(
        source, store, inventory, ANCHOR - timedelta(weeks=weeks), ANCHOR, now=ANCHOR
    ):
        assert result.error is None
    store.rollup()
    return DemoWorkspace(root, settings, store)


def insert_findings(store: Store, rows=FINDINGS) -> None:  # type: ignore[no-untyped-def]
    with store.write() as con:
        for n, (iid, metric, detector, severity, summary, first, resolved) in enumerate(rows):
            con.execute(
                "INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector,"
                " severity, summary, evidence, status, first_seen, last_seen, resolved_at, kind)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, '{}', ?, ?, ?, ?, ?)",
                [f"f{n}", f"fp{n}", iid, metric, detector, severity, summary,
                 "resolved" if resolved else "open", first, resolved or NOW, resolved,
                 kind_of(detector).value],
            )  # fmt: skip


def insert_notifications(store: Store, rows=NOTIFICATIONS) -> None:  # type: ignore[no-untyped-def]
    with store.write() as con:
        for n, (channel, event, status, at, iid) in enumerate(rows):
            con.execute(
                "INSERT INTO notifications (notification_id, dedup_key, integration_id, channel,"
                " event, status, attempts, created_at, sent_at) VALUES (?, ?, ?, ?, ?, ?, 1, ?, ?)",
                [f"n{n}", f"k{n}", iid, channel, event, status, at,
                 at if status == "sent" else None],
            )  # fmt: skip


def insert_runs(store: Store) -> None:
    """A Prometheus source that failed twice and missed one integration once, in W47."""
    rows = [
        ("r1", "prom-main", "prometheus", utc(17, 3), "failed", "ConnectError: connection refused", []),
        ("r2", "prom-main", "prometheus", utc(17, 4), "failed", "ConnectError: connection refused", []),
        ("r3", "prom-main", "prometheus", utc(19, 9), "partial", None,
         [{"integration": "payments-webhook", "metric": "latency_p95_ms", "error": "empty result"}]),
        ("r4", "prom-main", "prometheus", utc(19, 10), "ok", None, []),
    ]  # fmt: skip
    with store.write() as con:
        for run_id, source, kind, at, status, error, failures in rows:
            con.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
                [run_id, source, kind, at, at + timedelta(seconds=2), status, error,
                 json.dumps(failures)],
            )  # fmt: skip


@pytest.fixture(scope="module")
def demo_fleet(tmp_path_factory: pytest.TempPathFactory) -> DemoWorkspace:
    """The demo fleet with findings, notifications and source runs inserted directly."""
    ws = seed_demo(tmp_path_factory.mktemp("demo-fleet"))
    insert_findings(ws.store)
    insert_notifications(ws.store)
    insert_runs(ws.store)
    return ws
