"""`seamwatch detect` on the demo fleet: every scripted situation is found by the detector meant
for it, healthy integrations have no findings, and the --as-of contract holds.

Nothing here reads the wall clock: the demo is anchored at a pinned time (T0), evaluations run
as of T0, the persisted runs are given their `now`, and the commands run at T0 (they refuse an
anchor or an --as-of in the future). The story must hold at every hour of the week, so a handful
of anchors spread over a week is checked too (bench/demo_story.py sweeps it all).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import duckdb
import pytest

from bench.demo_story import tell
from collectors.demo import FLEET, STOPPED_AT, STORY, Situation
from seamwatch.timeutil import ensure_utc
from tests.conftest import REPO, command_module, pinned_utcnow

T0 = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # the pinned anchor and "now" of this module
STAMP = T0.strftime("%Y-%m-%dT%H:%M:%SZ")
EXPECTED = STORY
HEALTHY = sorted(
    spec.id for spec in FLEET if spec.situation is Situation.HEALTHY and spec.id not in EXPECTED
)


@dataclass
class Demo:
    root: Path
    config: Path

    def cli(self, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str]:
        """`seamwatch ARGS` on this demo, run at T0."""
        from cli import main

        capsys.readouterr()
        with pinned_utcnow(T0, command_module(args[0])):
            code = main([*args, "--config", str(self.config), "-q"])
        out = capsys.readouterr()
        return code, out.out, out.err

    def scalar(self, sql: str):
        con = duckdb.connect(str(self.root / "data" / "seamwatch.duckdb"), read_only=True)
        try:
            return con.execute(sql).fetchone()[0]
        finally:
            con.close()


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Demo:
    from cli import main

    root = tmp_path_factory.mktemp("demo")
    config = root / "config.toml"
    config.write_text(
        f"""
[store]
path = "data/seamwatch.duckdb"

[inventory]
paths = ["{REPO / "data" / "inventory" / "*.toml"}"]

[[sources]]
name = "demo"
kind = "demo"
interval = "60s"
seed = 7

[detectors]
resolve_after = 2
""",
        encoding="utf-8",
    )
    with pinned_utcnow(T0, "cli.demo"):
        assert main(["demo", "--weeks", "4", "--anchor", STAMP, "--config", str(config), "-q"]) == 0
    return Demo(root, config)


def persisted_detection(demo: Demo, now: datetime):
    """`seamwatch detect` (the persisting run) at a pinned `now`."""
    from detectors.engine import run_detection
    from seamwatch.config import load_settings
    from seamwatch.inventory import load_inventory
    from seamwatch.store import Store

    settings = load_settings(demo.config)
    store = Store.from_settings(settings)
    inventory = load_inventory(settings.inventory.paths, settings.base_dir)
    return run_detection(store, inventory, settings, now=now)


@pytest.fixture(scope="module")
def first_run(demo: Demo) -> list[dict]:
    import contextlib
    import io

    from cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), pinned_utcnow(T0, "cli.detect"):
        args = ["detect", "--as-of", STAMP, "--format", "json", "--config", str(demo.config)]
        assert main([*args, "-q"]) == 0
    return json.loads(out.getvalue())


def test_every_scripted_situation_is_found_by_its_detector(first_run: list[dict]) -> None:
    found = defaultdict(set)
    for item in first_run:
        found[item["integration"]].add((item["metric"], item["detector"]))
    for integration, expected in EXPECTED.items():
        assert expected in found[integration], (integration, found[integration])


def test_healthy_integrations_have_no_findings(first_run: list[dict]) -> None:
    assert HEALTHY  # the demo has healthy integrations to be quiet about
    noisy = {i["integration"]: i["summary"] for i in first_run if i["integration"] in HEALTHY}
    assert noisy == {}
    never_sent = {"returns-portal-api", "legacy-edi-orders"}
    assert not [i for i in first_run if i["integration"] in never_sent]


def test_findings_say_what_happened_with_numbers(first_run: list[dict]) -> None:
    by_key = {(i["integration"], i["metric"] or i["detector"], i["detector"]): i for i in first_run}
    by_key.update({(i["integration"], i["detector"]): i for i in first_run if not i["metric"]})
    trend = by_key[("crm-orders-to-erp", "latency_p95_ms", "trend")]
    assert "p95 latency" in trend["summary"] and "%/week" in trend["summary"]
    assert "breaches the 800 ms SLO in about" in trend["summary"]
    step = by_key[("payments-webhook", "error_rate", "level_shift")]
    assert "error rate stepped up from 0.2" in step["summary"] and "h ago" in step["summary"]
    assert step["severity"] == "critical"  # 1.5% is above its 0.5% SLO
    # the step is told once, as a step: not also as an absurd "rising N%/week" trend
    assert ("payments-webhook", "error_rate", "trend") not in by_key
    assert by_key[("pos-sales-stream", "no_data")]["summary"].startswith("no samples for 6h")
    # "since" is when the change began, not when it was detected
    onset = lambda item: datetime.fromisoformat(item["onset"].replace("Z", "+00:00"))  # noqa: E731
    assert abs(onset(step) - (T0 - timedelta(hours=60))) <= timedelta(hours=2)
    assert abs(onset(trend) - (T0 - timedelta(days=14))) <= timedelta(days=2)
    pos = by_key[("pos-sales-stream", "no_data")]
    assert abs(onset(pos) - (T0 - timedelta(seconds=STOPPED_AT))) <= timedelta(minutes=10)
    dlq = by_key[("shipment-events", "dlq_depth", "dlq_growth")]
    assert abs(onset(dlq) - (T0 - timedelta(days=3))) <= timedelta(hours=3)
    halved = by_key[("inventory-sync", "throughput", "throughput_drop")]  # glided A-4d .. A-3d
    assert T0 - timedelta(days=4, hours=8) <= onset(halved) <= T0 - timedelta(days=3)
    for item in first_run:
        assert onset(item) <= datetime.fromisoformat(item["first_seen"].replace("Z", "+00:00"))
    for item in first_run:
        assert set(item) >= {
            "integration",
            "metric",
            "detector",
            "severity",
            "summary",
            "onset",
            "first_seen",
            "evidence",
        }


def test_health_view_reflects_the_findings(demo: Demo, first_run: list[dict]) -> None:
    persisted_detection(demo, T0)
    health = lambda iid: demo.scalar(  # noqa: E731
        f"SELECT health FROM health_at(TIMESTAMPTZ '{STAMP}') WHERE integration_id = '{iid}'"
    )
    assert health("pos-sales-stream") == "no data"
    assert health("payments-webhook") == "failing"
    assert health("crm-orders-to-erp") == "degrading"
    assert health("returns-portal-api") == "not live"
    assert health("fraud-score-api") == "ok"


def test_a_second_run_updates_instead_of_duplicating(demo: Demo, first_run: list[dict]) -> None:
    persisted_detection(demo, T0)
    before = demo.scalar("SELECT count(*) FROM findings")
    _, outcome = persisted_detection(demo, T0 + timedelta(minutes=5))
    assert outcome.opened == 0 and outcome.updated == len(first_run)
    assert demo.scalar("SELECT count(*) FROM findings") == before == len(first_run)


def test_as_of_uses_only_samples_up_to_then_and_persists_nothing(
    demo: Demo, first_run, capsys
) -> None:
    anchor = ensure_utc(demo.scalar("SELECT max(ts) FROM samples"))
    before = (
        demo.scalar("SELECT count(*) FROM findings"),
        demo.scalar("SELECT count(*) FROM detector_runs"),
    )

    def as_of(delta: timedelta) -> list[dict]:
        ts = (anchor - delta).strftime("%Y-%m-%dT%H:%M:%SZ")
        code, out, err = demo.cli("detect", "--as-of", ts, "--format", "json", capsys=capsys)
        assert code == 0, err
        return json.loads(out)

    pos = timedelta(seconds=STOPPED_AT)
    still_sending = as_of(pos + timedelta(hours=1))
    stopped = as_of(pos - timedelta(hours=2))
    assert not [i for i in still_sending if i["integration"] == "pos-sales-stream"]
    assert [i["detector"] for i in stopped if i["integration"] == "pos-sales-stream"] == ["no_data"]
    before_step = as_of(timedelta(hours=72))  # the payments error step came at A-60h
    assert not [i for i in before_step if i["integration"] == "payments-webhook"]
    after = (
        demo.scalar("SELECT count(*) FROM findings"),
        demo.scalar("SELECT count(*) FROM detector_runs"),
    )
    assert after == before


SWEEP = [T0 + timedelta(hours=h) for h in (-81, -50, -23, 17, 58)]
"""Five anchors spread over a week (hours of day and weekdays differ); bench/demo_story.py
checks every fifth hour of a whole week."""


@pytest.mark.parametrize("anchor", SWEEP, ids=lambda a: f"{a:%a-%H%M}")
def test_the_demo_tells_its_story_at_any_hour_of_the_week(anchor: datetime) -> None:
    with pinned_utcnow(anchor, "cli.demo", "cli.detect"):  # told and judged at the anchor
        told = tell(anchor)
    assert told.problems == []


def test_as_of_with_a_bad_timestamp_is_one_clear_line(demo: Demo, capsys) -> None:
    code, _, err = demo.cli("detect", "--as-of", "last tuesday", capsys=capsys)
    assert code == 2
    assert (
        err.strip()
        == "seamwatch: --as-of: 'last tuesday' is not a timestamp (write ISO 8601, e.g. 2026-11-20T08:00:00Z)"
    )


def test_check_reports_a_bad_detectors_key_with_file_and_line(workspace, cli) -> None:
    workspace.write(
        "config.toml",
        workspace.config.read_text()
        + '\n[detectors]\ninterval = "5m"\n\n[detectors.metrics.latency_p95_ms]\nchnage = 0.3\n',
    )
    result = cli("check")
    assert result.code == 2
    assert "detectors.metrics.latency_p95_ms.chnage: unknown key" in result.out
    assert "config.toml:" in result.out


def test_detect_without_a_store_says_what_to_do(workspace, cli) -> None:
    result = cli("detect")
    assert result.code == 2
    assert "no store at" in result.err and "seamwatch demo" in result.err


def test_the_scheduler_runs_detection_at_the_configured_interval(workspace) -> None:
    from cli.scheduler import build_scheduler
    from seamwatch.config import load_settings

    workspace.write(
        "config.toml", workspace.config.read_text() + '\n[detectors]\ninterval = "2m"\n'
    )
    scheduler = build_scheduler(load_settings(workspace.config))
    job = scheduler.get_job("detect")
    assert job is not None
    assert job.trigger.interval.total_seconds() == 120
