"""Rows the dashboard shows, written straight into a store with SQL (the detector, alert and
report engines are other stages): findings, notifications, silences, reports, runs."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from seamwatch.store import Store


@dataclass(frozen=True)
class Finding:
    """One finding row, as the detectors would write it."""

    integration_id: str
    metric: str
    detector: str
    severity: str
    summary: str
    first_seen: datetime
    resolved_at: datetime | None = None
    evidence: dict | None = None

    @property
    def finding_id(self) -> str:
        return f"{self.integration_id}/{self.metric}/{self.detector}:{int(self.first_seen.timestamp())}"


def insert_findings(store: Store, findings: list[Finding], now: datetime) -> None:
    """Insert finding rows (open unless resolved_at is set)."""
    with store.write() as con:
        for f in findings:
            con.execute(
                """
                INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector,
                    severity, summary, evidence, status, first_seen, last_seen, resolved_at,
                    clear_count)
                VALUES (?, ?, ?, ?, ?, ?, ?, CAST(? AS JSON), ?, ?, ?, ?, 0)
                """,
                [
                    f.finding_id,
                    f"{f.integration_id}/{f.metric}/{f.detector}",
                    f.integration_id,
                    f.metric,
                    f.detector,
                    f.severity,
                    f.summary,
                    json.dumps(f.evidence or {"baseline": 1.0, "current": 1.2}),
                    "resolved" if f.resolved_at else "open",
                    f.first_seen,
                    f.resolved_at or now,
                    f.resolved_at,
                ],
            )


def insert_detector_run(store: Store, at: datetime) -> None:
    """A finished detection pass, as the detectors record one."""
    with store.write() as con:
        con.execute(
            "INSERT INTO detector_runs (run_id, as_of, started_at, finished_at, series, opened,"
            " updated, resolved) VALUES (?, ?, ?, ?, 96, 4, 0, 0)",
            [f"run-{at.isoformat()}", at, at, at + timedelta(seconds=3)],
        )


def insert_notification(
    store: Store,
    finding: Finding,
    *,
    channel: str,
    event: str,
    status: str,
    at: datetime,
    error: str | None = None,
) -> None:
    """One notification log row about a finding."""
    with store.write() as con:
        con.execute(
            "INSERT INTO notifications (notification_id, dedup_key, finding_id, integration_id,"
            " channel, event, status, attempts, last_error, created_at, sent_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?)",
            [
                f"n-{finding.finding_id}-{event}-{channel}",
                f"{finding.finding_id}:{event}:{channel}",
                finding.finding_id,
                finding.integration_id,
                channel,
                event,
                status,
                error,
                at,
                at if status == "sent" else None,
            ],
        )


def insert_report(store: Store, root: Path, week: str, team: str | None, at: datetime) -> str:
    """A written weekly report with its Markdown and HTML files under root/reports/."""
    report_id = week if team is None else f"{week}-{team}"
    folder = root / "reports"
    folder.mkdir(parents=True, exist_ok=True)
    md = folder / f"{report_id}.md"
    html = folder / f"{report_id}.html"
    md.write_text(f"# Weekly review {week}\n\n3 integrations degraded, 1 recovered.\n", "utf-8")
    html.write_text(
        f"<html><body><h1>Weekly review {week}</h1><p>3 integrations degraded.</p></body></html>",
        "utf-8",
    )
    with store.write() as con:
        con.execute(
            "INSERT INTO reports (report_id, week, team, md_path, html_path, written_at,"
            " posted_at, summary) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            [
                report_id,
                week,
                team,
                str(md),
                str(html),
                at,
                at + timedelta(minutes=1),
                f"Week {week}: 3 integrations degraded, 1 recovered.",
            ],
        )
    return report_id


def insert_run(
    store: Store,
    source: str,
    started: datetime,
    *,
    status: str = "ok",
    samples: int = 100,
    error: str | None = None,
    failures: list[dict[str, str | None]] | None = None,
) -> None:
    """One collection run row."""
    with store.write() as con:
        con.execute(
            "INSERT INTO runs (run_id, source, kind, started_at, finished_at, samples, status,"
            " error, failures) VALUES (?, ?, 'demo', ?, ?, ?, ?, ?, CAST(? AS JSON))",
            [
                f"{source}-{started.isoformat()}",
                source,
                started,
                started + timedelta(seconds=2),
                samples,
                status,
                error,
                json.dumps(failures or []),
            ],
        )


def seed_demo_story(store: Store, root: Path, now: datetime) -> list[Finding]:
    """Findings, notifications, a report and runs in the shape a week of the demo produces."""
    findings = [
        Finding(
            "inventory-sync",
            "latency_p95_ms",
            "trend",
            "critical",
            "p95 latency up 64% week over week, 180 ms → 295 ms",
            now - timedelta(hours=30),
            evidence={
                "current": 230.0,
                "change_per_week": 0.6,
                "slo": 250.0,
                "breach": {"days": 1.2, "days_low": 0.8, "days_high": 2.0},
            },
        ),
        Finding(
            "shipment-events",
            "dlq_depth",
            "dlq_growth",
            "warning",
            "DLQ never drains: 40 → 410 messages over 3 days",
            now - timedelta(days=2),
        ),
        Finding(
            "crm-orders-to-erp",
            "error_rate",
            "drift",
            "warning",
            "error rate drifting up, 0.10% → 0.42% over 7 days",
            now - timedelta(days=3),
        ),
        Finding(
            "crm-orders-to-erp",
            "throughput",
            "level_shift",
            "info",
            "throughput 12% lower than the same hours last week",
            now - timedelta(days=9),
            resolved_at=now - timedelta(days=6),
            evidence={
                "baseline": 40.0,
                "current": 35.2,
                "change": -0.12,
                "changed_at": (now - timedelta(days=9, hours=3)).isoformat(),
            },
        ),
    ]
    insert_findings(store, findings, now)
    insert_detector_run(store, now - timedelta(minutes=1))
    insert_notification(
        store,
        findings[0],
        channel="logistics-slack",
        event="open",
        status="sent",
        at=findings[0].first_seen + timedelta(minutes=1),
    )
    insert_notification(
        store,
        findings[2],
        channel="sales-teams",
        event="open",
        status="failed",
        at=findings[2].first_seen,
        error="HTTP 404 no_service",
    )
    insert_report(store, root, "2026-W47", None, now - timedelta(days=2))
    for minutes in range(0, 180, 10):
        insert_run(store, "demo", now - timedelta(minutes=minutes))
    insert_run(
        store,
        "demo",
        now - timedelta(minutes=5),
        status="partial",
        samples=90,
        error="1 integration failed",
        failures=[
            {"integration": "legacy-ftp-drop", "metric": None, "error": "timed out after 10s"}
        ],
    )
    return findings
