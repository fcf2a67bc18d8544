"""The weekly review's Jobs section: runs, failures and missed cron times per job, from a real
store holding the job's heartbeats and the findings the jobs detector persisted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from detectors import emitted_names
from detectors.engine import evaluate
from detectors.lifecycle import apply_findings
from detectors.settings import DetectorSettings
from reports.build import build_report
from reports.render import render_html, render_markdown
from reports.weeks import Week
from seamwatch.store import Ping, Store
from tests.test_job_schedules import inventory_of, job, ran

BERLIN = ZoneInfo("Europe/Berlin")


def test_the_review_counts_runs_failures_and_missed_nights_per_job(tmp_path):
    store = Store(tmp_path / "sw.duckdb")
    store.migrate()
    inv = inventory_of(job())  # 02:30 Berlin = 01:30 UTC in November
    inv.origin["nightly-export"] = tmp_path / "jobs.toml"
    store.sync_inventory(inv, datetime(2026, 11, 1, tzinfo=UTC))
    for day in range(9, 16):  # the week before: every night
        ran(store, "nightly-export", datetime(2026, 11, day, 1, 30, tzinfo=UTC), 20)
    # W47 (16-22 Nov): 16-18 fine, 19 and 20 missed, 21 failed, 22 fine
    for day in (16, 17, 18, 22):
        ran(store, "nightly-export", datetime(2026, 11, day, 1, 30, tzinfo=UTC), 20 + day % 3)
    ran(
        store,
        "nightly-export",
        datetime(2026, 11, 21, 1, 30, tzinfo=UTC),
        4,
        "fail",
        exit_status=2,
        body="step 1 ok\n<b>disk full</b> & *no* space\n",
    )
    store.record_ping(Ping("other", datetime(2026, 11, 18, 5, tzinfo=UTC), "crm-orders", "fail"))
    settings = DetectorSettings(enabled=["jobs"])
    t = datetime(2026, 11, 16, 0, 0, tzinfo=UTC)
    while t < datetime(2026, 11, 23, tzinfo=UTC):  # the detector, every 3 hours of the week
        found = evaluate(store, inv, settings, t).findings
        apply_findings(store, found, t, resolve_after=2, detectors_ran=emitted_names(["jobs"]))
        t += timedelta(hours=3)

    report = build_report(
        store, Week.parse("2026-W47", BERLIN), now=datetime(2026, 11, 23, 9, tzinfo=UTC)
    )
    jobs = {j.integration_id: j for j in report.jobs}
    nightly = jobs["nightly-export"]
    assert (nightly.runs, nightly.failed, nightly.missed) == (5, 1, 2)
    assert nightly.last_failure == datetime(2026, 11, 21, 1, 30, tzinfo=UTC)  # when it ran
    assert nightly.last_failure_log == "step 1 ok | <b>disk full</b> & *no* space"
    assert (jobs["crm-orders"].runs, jobs["crm-orders"].failed) == (1, 1)  # pinged, not inventoried

    md = render_markdown(report)
    section = md.split("## Jobs", 1)[1].split("## SLO compliance", 1)[0]
    assert (
        "| nightly-export (nightly-export) | data | 5 | 1 | 2 | 21m | 22m | Sat 21 Nov 02:30"
        in section
    )
    assert "<b>" not in section and "\\*no\\*" in section
    html = render_html(report)
    jobs_html = html.split("<h2>Jobs</h2>", 1)[1].split("<h2>SLO compliance</h2>", 1)[0]
    assert "&lt;b&gt;disk full&lt;/b&gt; &amp; *no* space" in jobs_html
    assert "<b>disk" not in jobs_html
