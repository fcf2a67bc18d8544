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


def bench(findings: int, integrations: int = 1000) -> float:
    with tempfile.TemporaryDirectory() as tmp:
        config = workspace(Path(tmp), integrations)
        settings = load_settings(config)
        store = Store.from_settings(settings)
        store.migrate()
        from seamwatch.inventory import load_inventory

        store.sync_inventory(load_inventory(settings.inventory.paths, settings.base_dir), T0)
        with store.write() as con:
            con.execute(
                "INSERT INTO findings SELECT 'f' || i, 'fp' || i, printf('int-%04d', i % ?), 'latency_p95_ms',"
                " 'd' || (i // ?), 'warning', 'p95 latency up 23% week over week, 412 ms → 507 ms', '{}', 'open',"
                " ? + to_seconds(i % 600), ? + to_seconds(i % 600), NULL, 0 FROM range(?) t(i)",
                [integrations, integrations, T0, T0, findings],
            )
        notifier = Notifier(settings, store=store)
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
    integrations = int(sys.argv[1]) if len(sys.argv) > 1 else 1000
    findings = int(sys.argv[2]) if len(sys.argv) > 2 else 5000
    print(f"alerts: notify cycle planning (dry run) on {integrations:,} integrations, best of 3")
    base = bench(200, integrations)
    big = bench(findings, integrations)
    print(
        f"  ratio {findings}/200: {big / base:.1f}x for {findings / 200:.0f}x the findings; "
        f"target < 2 s: {'ok' if big < 2 else 'MISSED'}"
    )
