"""How long a notify cycle's planning (read findings, route, group, render) takes as findings grow.

Prints seconds per cycle for 200 and 5,000 open findings on 1,000 integrations (a Slack channel
per owner, shared-system grouping on) and the ratio against the 200-finding baseline run in the
same process. Nothing is sent (dry run).
Run: .venv/bin/python bench/alerts_plan.py [INTEGRATIONS [FINDINGS]]  (e.g. 10000 10000; target < 2 s)
"""

from __future__ import annotations

import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from alerts.engine import Notifier
from seamwatch.config import load_settings
from seamwatch.store import Store

T0 = datetime(2026, 11, 20, 8, tzinfo=UTC)
OWNERS = 20


def workspace(root: Path, integrations: int) -> Path:
    inv = root / "inventory"
    inv.mkdir(parents=True)
    lines = []
    for i in range(integrations):
        lines.append(
            f'[[integration]]\nid = "int-{i:04d}"\nname = "Integration {i}"\nowner = "team-{i % OWNERS}"\n'
            f'chat_route = "team-{i % OWNERS}"\nsource_system = "S{i % 50}"\ntarget_system = "T{i % 37}"\n'
            f'pattern = "event"\ntier = {1 + i % 4}\n'
        )
    (inv / "fleet.toml").write_text("\n".join(lines))
    channels = "\n".join(
        f'[alerts.channels.team-{o}]\nkind = "slack"\nurl = "http://127.0.0.1:9/slack/{o}"'
        for o in range(OWNERS)
    )
    config = root / "config.toml"
    config.write_text(
        f'[store]\npath = "data/s.duckdb"\n[inventory]\npaths = ["inventory/*.toml"]\n[alerts]\ngroup_wait = "0s"\n{channels}\n'
    )
    return config


def add_findings(store: Store, start: int, stop: int, integrations: int) -> None:
    """Open findings start..stop-1, spread over the integrations and ten minutes."""
    with store.write() as con:
        con.execute(
            "INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector, severity,"
            " summary, evidence, status, first_seen, last_seen)"
            " SELECT 'f' || i, 'fp' || i, printf('int-%04d', i % ?), 'latency_p95_ms', 'd' || (i // ?),"
            " 'warning', 'p95 latency up 23% week over week, 412 ms → 507 ms', '{}', 'open',"
            " ? + to_seconds(i % 600), ? + to_seconds(i % 600) FROM range(?, ?) t(i)",
            [integrations, integrations, T0, T0, start, stop],
        )


def bench(notifier: Notifier, findings: int) -> float:
    """Best of three dry-run plans (read, route, group, render) at one hour after T0."""
    best = float("inf")
    for _ in range(3):
        start = time.perf_counter()
        plan = notifier.dry_run(T0 + timedelta(hours=1))
        best = min(best, time.perf_counter() - start)
    print(
        f"  {findings:>6} open findings -> {len(plan.messages)} messages planned and rendered in {best:.3f}s"
    )
    return best


if __name__ == "__main__":
    from seamwatch.inventory import load_inventory

    integrations = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    findings = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    print(f"alerts: notify cycle planning (dry run) on {integrations:,} integrations, best of 3")
    with tempfile.TemporaryDirectory() as tmp:
        settings = load_settings(workspace(Path(tmp), integrations))
        store = Store.from_settings(settings)
        store.migrate()
        store.sync_inventory(load_inventory(settings.inventory.paths, settings.base_dir), T0)
        notifier = Notifier(settings, store=store)
        add_findings(store, 0, 200, integrations)
        base = bench(notifier, 200)
        add_findings(store, 200, findings, integrations)
        big = bench(notifier, findings)
    print(
        f"  ratio {findings}/200: {big / base:.1f}x for {findings / 200:.0f}x the findings; "
        f"target < 2 s: {'ok' if big < 2 else 'MISSED'}"
    )
