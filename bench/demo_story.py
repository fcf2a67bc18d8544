"""Does the demo tell its story at every hour of the week?

For each anchor of a sweep over one week, the demo fleet is seeded anchored there (4 weeks of
history) and evaluated at the anchor through `seamwatch detect --as-of`: every scripted situation
must be found by the detector meant for it (`collectors.demo.STORY`), with nothing else on the
same series, and the healthy integrations must stay quiet. The CI test runs a handful of these
anchors; this bench runs the whole sweep.

Run: .venv/bin/python bench/demo_story.py [--step-hours 7] [--start 2026-11-16T00:00:00Z]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from collectors.demo import FLEET, STORY, Situation
from detectors.engine import SHAPE_OF

REPO = Path(__file__).resolve().parents[1]
SWEEP_START = datetime(2026, 11, 16, tzinfo=UTC)  # a Monday, 00:00 UTC
HEALTHY = sorted(
    spec.id for spec in FLEET if spec.situation is Situation.HEALTHY and spec.id not in STORY
)
SILENT = {spec.id for spec in FLEET if spec.situation is Situation.NO_DATA}

CONFIG = """
[store]
path = "data/seamwatch.duckdb"

[inventory]
paths = ["{inventory}"]

[[sources]]
name = "demo"
kind = "demo"
interval = "{interval}"
seed = {seed}

[detectors]
resolve_after = 2
"""


@dataclass(frozen=True)
class Told:
    """One anchor's findings and what was wrong with them (empty: the story was told)."""

    anchor: datetime
    findings: list[dict]
    problems: list[str]


def seed_demo(root: Path, anchor: datetime, *, interval: str = "300s", seed: int = 7) -> Path:
    """A workspace under root with the demo seeded anchored at `anchor`; returns its config."""
    from cli import main

    config = root / "config.toml"
    config.write_text(
        CONFIG.format(
            inventory=REPO / "data" / "inventory" / "*.toml", interval=interval, seed=seed
        ),
        encoding="utf-8",
    )
    stamp = anchor.strftime("%Y-%m-%dT%H:%M:%SZ")
    with contextlib.redirect_stdout(io.StringIO()):
        code = main(["demo", "--weeks", "4", "--anchor", stamp, "--config", str(config), "-q"])
    if code != 0:
        raise RuntimeError(f"demo seeding at {stamp} failed with exit {code}")
    return config


def detect_as_of(config: Path, at: datetime) -> list[dict]:
    """`seamwatch detect --as-of at --format json`, in process."""
    from cli import main

    out = io.StringIO()
    stamp = at.strftime("%Y-%m-%dT%H:%M:%SZ")
    with contextlib.redirect_stdout(out):
        code = main(["detect", "--as-of", stamp, "--format", "json", "--config", str(config), "-q"])
    if code != 0:
        raise RuntimeError(f"detect --as-of {stamp} failed with exit {code}")
    return json.loads(out.getvalue())


def judge(findings: list[dict]) -> list[str]:
    """What is wrong with one evaluation of the demo, one line each."""
    problems: list[str] = []
    by_integration: dict[str, list[dict]] = {}
    for item in findings:
        by_integration.setdefault(item["integration"], []).append(item)
    for integration, (metric, detector) in STORY.items():
        found = by_integration.get(integration, [])
        if not any(f["metric"] == metric and f["detector"] == detector for f in found):
            told = ", ".join(f"{f['metric'] or '-'}/{f['detector']}" for f in found) or "nothing"
            problems.append(f"{integration}: expected {metric or '-'}/{detector}, found {told}")
        same = [
            f
            for f in found
            if metric
            and f["metric"] == metric
            and f["detector"] != detector
            and f["detector"] in SHAPE_OF  # a second story of the same change (not slo_burn)
        ]
        for f in same:
            problems.append(f"{integration}: {metric} also told as {f['detector']}: {f['summary']}")
    for integration in [*HEALTHY, *sorted(SILENT)]:
        for f in by_integration.get(integration, []):
            problems.append(f"{integration} (healthy) has {f['detector']}: {f['summary']}")
    return problems


def tell(anchor: datetime, *, interval: str = "300s", seed: int = 7) -> Told:
    """Seed the demo at `anchor` in a throw-away workspace and judge its evaluation there."""
    with tempfile.TemporaryDirectory(prefix="seamwatch-story-") as tmp:
        config = seed_demo(Path(tmp), anchor, interval=interval, seed=seed)
        findings = detect_as_of(config, anchor)
    return Told(anchor, findings, judge(findings))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--step-hours", type=float, default=7.0, help="hours between anchors")
    parser.add_argument("--start", default=SWEEP_START.strftime("%Y-%m-%dT%H:%M:%SZ"))
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    start = datetime.fromisoformat(args.start.replace("Z", "+00:00"))
    anchors = []
    at = start
    while at < start + timedelta(days=7):
        anchors.append(at)
        at += timedelta(hours=args.step_hours)
    failed = 0
    clock = time.perf_counter()
    for anchor in anchors:
        told = tell(anchor, seed=args.seed)
        status = "ok" if not told.problems else f"{len(told.problems)} problem(s)"
        print(f"{anchor:%a %Y-%m-%d %H:%M} UTC: {status}", flush=True)
        for line in told.problems:
            print(f"    {line}")
        failed += bool(told.problems)
    print(
        f"{len(anchors) - failed}/{len(anchors)} anchors told the whole story "
        f"({time.perf_counter() - clock:.0f} s)"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
