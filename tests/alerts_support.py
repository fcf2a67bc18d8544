"""Helpers for the alerts tests: a workspace with [alerts] config, and findings rows.

Findings are inserted with SQL following migration 010 (the detectors engine is built
separately); the inventory is synced into the store so v_findings has owners and systems.
"""

from __future__ import annotations

import hashlib
import textwrap
from datetime import UTC, datetime, timedelta

from alerts.engine import Notifier
from detectors import kind_of
from seamwatch.config import Settings, load_settings
from seamwatch.inventory import load_inventory
from seamwatch.store import Store
from tests.conftest import CONFIG, Workspace

T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)

# More integrations: three share the target system "SAP ERP" with crm-orders-to-erp.
MORE_INVENTORY = """
[[integration]]
id = "shop-invoices-to-erp"
name = "Shop invoices to ERP"
owner = "finance"
chat_route = "finance"
source_system = "Shop"
target_system = "SAP ERP"
pattern = "batch"
tier = 2
runbook = "https://runbooks.example.com/shop-invoices"
tags = ["invoices"]

[[integration]]
id = "wms-stock-to-erp"
name = "WMS stock to ERP"
owner = "logistics"
source_system = "WMS"
target_system = "SAP ERP"
pattern = "event"
tier = 3
tags = ["stock", "nightly"]

[[integration]]
id = "hr-people-to-ad"
name = "HR people to AD"
owner = "it"
source_system = "Workday"
target_system = "Active Directory"
pattern = "batch"
tier = 4
"""

FAST = """
group_wait = "0s"
backoff = "10ms"
max_backoff = "50ms"
"""

# One generic webhook channel every finding goes to; `fast` carries FAST plus any [alerts] keys.
WEBHOOK = """
[alerts]
{fast}
chat_route = "ignore"
[alerts.channels.hook]
kind = "webhook"
url = "{base}/webhook/hook"
[alerts.default]
channels = ["hook"]
"""


def configure(workspace: Workspace, alerts: str, *, more_inventory: bool = True) -> Settings:
    """Write config.toml with this [alerts] text, sync the inventory, return the settings."""
    workspace.write("config.toml", CONFIG + "\n" + textwrap.dedent(alerts))
    if more_inventory:
        workspace.write("inventory/more.toml", MORE_INVENTORY)
    settings = load_settings(workspace.config)
    store = Store.from_settings(settings)
    store.migrate()
    store.sync_inventory(load_inventory(settings.inventory.paths, settings.base_dir), T0)
    return settings


def notifier(settings: Settings, **kwargs) -> Notifier:
    """A Notifier that does not really sleep between retries unless told to."""
    kwargs.setdefault("sleep", lambda s: None)
    kwargs.setdefault("seed", 1)
    return Notifier(settings, **kwargs)


def add_finding(
    settings: Settings,
    integration_id: str,
    *,
    detector: str = "trend",
    metric: str = "latency_p95_ms",
    severity: str = "warning",
    summary: str = "p95 latency up 23% week over week, 412 ms → 507 ms",
    first_seen: datetime = T0,
) -> str:
    """Insert an open finding (as the detectors engine would) and return its id."""
    fingerprint = hashlib.sha1(f"{integration_id}|{metric}|{detector}".encode()).hexdigest()[:16]
    finding_id = f"{fingerprint}:{int(first_seen.timestamp())}"
    with Store.from_settings(settings).write() as con:
        con.execute(
            "INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector, severity,"
            " summary, evidence, status, first_seen, last_seen, kind)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, '{}', 'open', ?, ?, ?)",
            [
                finding_id,
                fingerprint,
                integration_id,
                metric,
                detector,
                severity,
                summary,
                first_seen,
                first_seen,
                kind_of(detector).value,
            ],
        )
    return finding_id


def add_findings(
    settings: Settings, integration_id: str, count: int, *, summary: str, first_seen: datetime = T0
) -> None:
    """Insert `count` open findings on one integration (detectors d000, d001, ...) in one go."""
    with Store.from_settings(settings).write() as con:
        con.execute(
            "INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector, severity, summary,"
            " evidence, status, first_seen, last_seen)"
            " SELECT 'f' || i || ':' || epoch(?::TIMESTAMPTZ), 'f' || i, ?, 'error_rate', printf('d%03d', i),"
            " 'warning', ?, '{}', 'open', ?, ? FROM range(?) t(i)",
            [first_seen, integration_id, summary, first_seen, first_seen, count],
        )


def resolve(settings: Settings, finding_id: str, at: datetime) -> None:
    """Mark a finding resolved, as the detectors' lifecycle does."""
    with Store.from_settings(settings).write() as con:
        con.execute(
            "UPDATE findings SET status = 'resolved', resolved_at = ?, last_seen = ? WHERE finding_id = ?",
            [at, at, finding_id],
        )


def notifications(settings: Settings, where: str = "TRUE") -> list[dict]:
    """Rows of v_notifications as dicts, oldest first."""
    with Store.from_settings(settings).read() as con:
        cur = con.execute(
            f"SELECT * FROM v_notifications WHERE {where} ORDER BY created_at, dedup_key"
        )
        cols = [d[0] for d in cur.description]
        return [dict(zip(cols, row, strict=True)) for row in cur.fetchall()]


def minutes(n: float) -> timedelta:
    return timedelta(minutes=n)
