"""Detection quality on REAL operational series: recall, time to detect, false alerts on quiet days.

Two public corpora (how to fetch them: bench/fetch_real_data.md), read from --data DIR:
  aiops        2018 AIOps challenge web-service KPIs (1- and 5-minute; 30-105 days each)
  jumpstarter  JumpStarter Dataset2 + Dataset3: 30 services x 19 metrics at 5 minutes, 45 days
               (train + test concatenated); the columns in JS_COLUMNS are used.

Windows of 28 days, a new one every 7 days, are cut from every series (1-minute data averaged to
5 minutes; non-positive values are missing samples; a window is kept with >= 90% of its samples
and no gap over 24 h). Each kept window is re-timed to START (whole days, so hour of day is kept)
and written, as one integration per variant, into ONE DuckDB store:
  latency      L * x / median(x over days 0-14), L log-uniform 40-800 ms per window: the real
               relative variation at a plausible p95 level; clean, ramps x(1+m)^weeks for
               m = +5/10/20/50 %/week, and a +50% step.
  throughput   (throughput-like windows: the hour of day explains >= 50% of the variance of the
               hourly log-levels) T * x / median, T log-uniform 0.5-200 msg/s; clean, a -20%/week
               ramp x0.8^weeks, and halving.
  error rate   (same windows) requests per 5 minutes n = round(N * x / median), N log-uniform
               20-300, errors ~ Binomial(n, p), p = p0 x ramp, p0 log-uniform 0.5-3%, the same
               uniforms for the clean and ramped copies; clean, +20 and +50 %/week. Writes
               throughput (n / 300 s) and error_rate (errors / n).
Changes start at a seeded random time on days 14-21. Evaluations: daily at 12:00 UTC, days 14..27,
through `seamwatch detect --as-of` (detectors.engine.evaluate_as_of over the whole store, only
samples up to then); every finding on the variant's metric, of any detector, is an alert.
Reported: recall within 7 days of onset (and within 24 h), median hours to the first alert; on the
clean copies, false-alert episodes (runs of consecutive alerting days) per 1,000 series-days:
"quiet" counts episodes that begin on a quiet day, per 1,000 quiet series-days (quiet: the clean
series' median over the last 72 h is below 1.10x the median of the 14 days before them), "all"
counts every episode per 1,000 clean series-days. Baselines on the same windows and hours (hourly
medians for latency, means for rates): naive WoW (last 24 h / the same 24 h a week before beyond
1.2) and plain Mann-Kendall (last 7 days of hourly levels, p < 0.05, no autocorrelation
correction).

Series are split deterministically (sha256 of the series name; JumpStarter by service number,
so a service's metrics in Dataset2 and 3 stay on one side): tune on `--split tune`, report on
`--split holdout`.
Run: .venv/bin/python bench/detection_real.py [--data DIR] [--split all|tune|holdout]
     [--corpus all|aiops|jumpstarter] [--limit N] [--json OUT] [--config config.toml]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import sys
import tempfile
import time
import zlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import binom

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._evalstore import detect_as_of, samples_table, write_batches
from bench._realmeasure import (
    episodes,
    hourly_levels,
    mann_kendall_alerts,
    naive_alerts,
    quiet_day,
    time_to_detect,
)
from seamwatch.config import Settings, load_settings
from seamwatch.errors import SeamwatchError
from seamwatch.metrics import Metric
from seamwatch.store import Store

DAY = 86_400
HOUR = 3_600
WEEK = 7 * DAY
STEP = 300  # every series on a 5-minute grid
PER_HOUR = HOUR // STEP
START = datetime(2025, 3, 3, tzinfo=UTC)  # a Monday; every window is re-timed to start here
WINDOW_DAYS = 28
STRIDE_DAYS = 7
FIRST_EVAL_DAY, LAST_EVAL_DAY, EVAL_HOUR = 14, 27, 12
EVAL_DAYS = list(range(FIRST_EVAL_DAY, LAST_EVAL_DAY + 1))
ONSET_DAYS = (14.0, 21.0)
WITHIN = 7 * DAY
MIN_COVERAGE = 0.90
MAX_GAP_SLOTS = 24 * PER_HOUR
SEASONAL_R2 = 0.5
JS_COLUMNS = (4, 7, 9, 14, 17, 18)  # the non-degenerate JumpStarter metrics of distinct character
DEFAULT_DATA = Path("/work/data/real")
SEED = 12
BATCH = 400  # series per store write


@dataclass(frozen=True)
class Case:
    """One variant of a window: the kind of series, the change injected and its size."""

    key: str
    kind: str  # latency | throughput | errors
    shape: str  # clean | ramp | step
    magnitude: float = 0.0

    @property
    def label(self) -> str:
        name = {"latency": "latency", "throughput": "throughput", "errors": "error rate"}[self.kind]
        if self.shape == "clean":
            return f"{name} clean"
        sign = "-" if self.kind == "throughput" else "+"
        pct = f"{sign}{self.magnitude * 100:.0f}%"
        if self.shape == "ramp":
            return f"{name} ramp {pct}/week"
        return f"{name} {'halved' if self.kind == 'throughput' else 'step ' + pct}"

    def factor(self, weeks: np.ndarray) -> np.ndarray:
        """The multiplicative change at `weeks` since onset (0 before it)."""
        after = weeks > 0
        if self.shape == "ramp":
            base = 1 - self.magnitude if self.kind == "throughput" else 1 + self.magnitude
            return np.where(after, base ** np.clip(weeks, 0, None), 1.0)
        if self.shape == "step":
            size = 1 - self.magnitude if self.kind == "throughput" else 1 + self.magnitude
            return np.where(after, size, 1.0)
        return np.ones_like(weeks)


CASES = [
    Case("lat-clean", "latency", "clean"),
    *[Case(f"lat-ramp{m:.0f}", "latency", "ramp", m / 100) for m in (5, 10, 20, 50)],
    Case("lat-step50", "latency", "step", 0.5),
    Case("tp-clean", "throughput", "clean"),
    Case("tp-ramp20", "throughput", "ramp", 0.2),
    Case("tp-halved", "throughput", "step", 0.5),
    Case("err-clean", "errors", "clean"),
    Case("err-ramp20", "errors", "ramp", 0.2),
    Case("err-ramp50", "errors", "ramp", 0.5),
]
METRIC_OF = {
    "latency": Metric.LATENCY_P95_MS,
    "throughput": Metric.THROUGHPUT,
    "errors": Metric.ERROR_RATE,
}
METHODS = ("detectors", "naive WoW", "plain MK")


@dataclass(frozen=True)
class RealSeries:
    """One real series on the 5-minute grid (NaN: missing), with where it came from."""

    corpus: str
    name: str
    split_key: str
    start: float  # epoch seconds of slot 0
    values: np.ndarray


@dataclass
class Variant:
    """One integration of the store: a window of a real series with one case applied."""

    id: str
    corpus: str
    series: str
    window: int
    split: str
    case: Case
    onset: float | None
    hourly: np.ndarray  # hourly levels of the evaluated metric, from the window start
    alerts: dict[int, list[tuple[str, str]]] = field(default_factory=dict)  # day -> findings
    baseline: dict[str, dict[int, bool]] = field(default_factory=dict)


def split_of(key: str) -> str:
    """The deterministic half a series belongs to."""
    return "holdout" if int(hashlib.sha256(key.encode()).hexdigest(), 16) % 2 else "tune"


def on_grid(ts: np.ndarray, values: np.ndarray) -> tuple[float, np.ndarray]:
    """Samples averaged onto the 5-minute grid; non-positive and non-finite values are missing."""
    valid = np.isfinite(values) & (values > 0) & np.isfinite(ts)
    slot = (ts[np.isfinite(ts)] // STEP).astype(np.int64)
    first = int(slot.min())
    idx = (ts[valid] // STEP).astype(np.int64) - first
    size = int(slot.max()) - first + 1
    sums = np.bincount(idx, weights=values[valid], minlength=size)
    counts = np.bincount(idx, minlength=size)
    with np.errstate(invalid="ignore", divide="ignore"):
        grid = np.where(counts > 0, sums / np.maximum(counts, 1), np.nan)
    return float(first * STEP), grid


def _read_csv(path: Path) -> np.ndarray:
    try:
        return pd.read_csv(path, header=None).to_numpy(dtype=float)
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise SeamwatchError(f"{path}: not a numeric CSV ({exc})") from None


def load_aiops(root: Path) -> tuple[list[RealSeries], int]:
    """The AIOps KPIs (unix ts, value, label); z-scored ones (with negative values) are skipped:
    their level is unknown, so no ratio of them means anything. Returns (series, skipped)."""
    files = sorted((root / "aiops").glob("dataset*_split/*.csv"))
    if not files:
        raise SeamwatchError(f"{root / 'aiops'}: no dataset1_split/*.csv or dataset2_split/*.csv")
    out, skipped = [], 0
    for path in files:
        data = _read_csv(path)
        if data.ndim != 2 or data.shape[1] < 2:
            raise SeamwatchError(f"{path}: expected columns ts,value[,label]")
        if np.nanmin(data[:, 1]) < 0:
            skipped += 1
            continue
        start, grid = on_grid(data[:, 0], data[:, 1])
        name = f"aiops/{path.stem}"
        out.append(RealSeries("aiops", name, name, start, grid))
    return out, skipped


def load_jumpstarter(root: Path) -> list[RealSeries]:
    """JumpStarter services: train then test rows, 5 minutes apart from an assumed midnight."""
    base = root / "jumpstarter"
    out = []
    for dataset in ("Dataset2", "Dataset3"):
        trains = sorted((base / dataset / "train").glob("service*.csv"))
        if not trains:
            raise SeamwatchError(f"{base / dataset / 'train'}: no service*.csv")
        for train in sorted(trains, key=lambda p: int(p.stem.removeprefix("service"))):
            test = base / dataset / "test" / train.name
            if not test.exists():
                raise SeamwatchError(f"{test}: missing (the test half of {train})")
            rows = np.vstack([_read_csv(train), _read_csv(test)])
            if rows.shape[1] <= max(JS_COLUMNS):
                raise SeamwatchError(f"{train}: {rows.shape[1]} columns, expected 19")
            ts = START.timestamp() + STEP * np.arange(rows.shape[0], dtype=float)
            for col in JS_COLUMNS:
                start, grid = on_grid(ts, rows[:, col])
                out.append(
                    RealSeries(
                        "jumpstarter",
                        f"jumpstarter/{dataset}/{train.stem}/m{col}",
                        f"jumpstarter/{train.stem}",
                        start,
                        grid,
                    )
                )
    return out


def windows(series: RealSeries) -> Iterator[tuple[int, np.ndarray]]:
    """(index, values) of every 28-day window, a new one every 7 days, starting at midnights."""
    offset = int((-series.start) % DAY) // STEP  # the first midnight
    length = WINDOW_DAYS * DAY // STEP
    k = 0
    while offset + k * STRIDE_DAYS * DAY // STEP + length <= series.values.size:
        lo = offset + k * STRIDE_DAYS * DAY // STEP
        yield k, series.values[lo : lo + length]
        k += 1


def usable(window: np.ndarray) -> bool:
    """Enough samples and no long gap."""
    present = np.isfinite(window)
    if present.mean() < MIN_COVERAGE:
        return False
    longest, run = 0, 0
    for ok in present:
        run = 0 if ok else run + 1
        longest = max(longest, run)
    return longest <= MAX_GAP_SLOTS


def throughput_like(window: np.ndarray) -> bool:
    """Traffic follows the day: the hour of day explains >= 50% of the hourly log-level variance."""
    hourly = np.log(hourly_levels(window[: 14 * DAY // STEP], PER_HOUR, median=False))
    ok = np.isfinite(hourly)
    if ok.sum() < 7 * 24:
        return False
    hour = np.arange(hourly.size) % 24
    profile = np.array([np.median(hourly[ok & (hour == h)]) for h in range(24)])
    residual = hourly[ok] - profile[hour[ok]]
    total = np.var(hourly[ok])
    return bool(total > 0 and 1 - np.var(residual) / total >= SEASONAL_R2)


def build(
    series: list[RealSeries], seed: int, splits: set[str]
) -> tuple[list[Variant], list[tuple[Variant, list]], dict[str, int]]:
    """Every variant of every kept window, and its sample batches (built lazily by `tables`)."""
    variants: list[Variant] = []
    pending: list[tuple[Variant, list]] = []
    stats: dict[str, int] = defaultdict(int)
    slot_t = START.timestamp() + STEP * np.arange(WINDOW_DAYS * DAY // STEP, dtype=float)
    history = 14 * DAY // STEP
    for s in series:
        split = split_of(s.split_key)
        if split not in splits:
            continue
        stats["series"] += 1
        used = False
        for k, raw in windows(s):
            stats["windows"] += 1
            if not usable(raw):
                continue
            used = True
            stats["kept"] += 1
            window_id = f"{s.name}#w{k}"
            rng = np.random.default_rng([seed, zlib.crc32(window_id.encode())])
            rel = raw / np.nanmedian(raw[:history])
            level_ms = float(np.exp(rng.uniform(np.log(40), np.log(800))))
            rate = float(np.exp(rng.uniform(np.log(0.5), np.log(200))))
            per_slot = float(np.exp(rng.uniform(np.log(20), np.log(300))))
            p0 = float(np.exp(rng.uniform(np.log(0.005), np.log(0.03))))
            uniforms = rng.uniform(size=raw.size)
            traffic = throughput_like(raw)
            stats["throughput-like"] += traffic
            for index, case in enumerate(CASES):
                if case.kind != "latency" and not traffic:
                    continue
                onset = None
                weeks = np.zeros(raw.size)
                if case.shape != "clean":
                    crng = np.random.default_rng([seed, zlib.crc32(window_id.encode()), index])
                    onset = START.timestamp() + crng.uniform(*ONSET_DAYS) * DAY
                    weeks = (slot_t - onset) / WEEK
                factor = case.factor(weeks)
                vid = f"{window_id}/{case.key}"
                parts: list[tuple[str, np.ndarray]] = []
                if case.kind == "latency":
                    values = level_ms * rel * factor
                    parts.append((METRIC_OF["latency"].value, values))
                    hourly = hourly_levels(values, PER_HOUR, median=True)
                elif case.kind == "throughput":
                    values = rate * rel * factor
                    parts.append((METRIC_OF["throughput"].value, values))
                    hourly = hourly_levels(values, PER_HOUR, median=False)
                else:
                    requests = np.rint(per_slot * rel)
                    ok = np.isfinite(requests)
                    n = np.where(ok, requests, 0).astype(np.int64)
                    p = np.clip(p0 * factor, 0, 1)
                    errors = binom.ppf(uniforms, n, p)
                    error_rate = np.where(ok & (n > 0), errors / np.maximum(n, 1), np.nan)
                    parts.append((Metric.THROUGHPUT.value, np.where(ok, n / STEP, np.nan)))
                    parts.append((METRIC_OF["errors"].value, error_rate))
                    hourly = hourly_levels(error_rate, PER_HOUR, median=False)
                variant = Variant(vid, s.corpus, s.name, k, split, case, onset, hourly)
                variants.append(variant)
                pending.append((variant, parts))
        stats["series used"] += used
    return variants, pending, stats


def tables(pending: list[tuple[Variant, list]]) -> Iterator[list]:
    """Sample batches of BATCH variants (missing slots are not written)."""
    slot_t = START.timestamp() + STEP * np.arange(WINDOW_DAYS * DAY // STEP, dtype=float)
    batch = []
    for variant, parts in pending:
        for metric, values in parts:
            keep = np.isfinite(values)
            batch.append(samples_table(variant.id, metric, slot_t[keep], values[keep], "real"))
        if len(batch) >= BATCH:
            yield batch
            batch = []
    yield batch


def eval_time(day: int) -> float:
    return (START + timedelta(days=day, hours=EVAL_HOUR)).timestamp()


def evaluate(store: Store, variants: list[Variant], settings: Settings) -> dict[str, int]:
    """Daily evaluations over the whole store; alerts and baselines recorded on each variant."""
    by_id = {v.id: v for v in variants}
    metric_of = {v.id: METRIC_OF[v.case.kind].value for v in variants}
    errors: dict[str, int] = defaultdict(int)
    groups: dict[str, list[Variant]] = defaultdict(list)
    for v in variants:
        groups[v.case.kind].append(v)
    for day in EVAL_DAYS:
        as_of = START + timedelta(days=day, hours=EVAL_HOUR)
        result = detect_as_of(store, as_of, settings)
        for name in result.errors:
            errors[name] += 1
        for f in result.findings:
            v = by_id.get(f.integration_id)
            if v is not None and f.metric == metric_of[v.id]:
                v.alerts.setdefault(day, []).append((f.detector, f.summary))
        end = day * 24 + EVAL_HOUR  # complete hours only, as the frame reads them
        for kind, members in groups.items():
            hourly = np.vstack([v.hourly for v in members])
            falling = kind == "throughput"
            naive = naive_alerts(hourly, end, median=kind == "latency", falling_is_bad=falling)
            mk = mann_kendall_alerts(hourly, end, falling_is_bad=falling)
            for v, a, b in zip(members, naive, mk, strict=True):
                v.baseline.setdefault("naive WoW", {})[day] = bool(a)
                v.baseline.setdefault("plain MK", {})[day] = bool(b)
    return errors


def flags(v: Variant, method: str, detector: str | None = None) -> list[bool]:
    """Per evaluation day: did the method (or one detector) alert on this variant?"""
    if method == "detectors":
        return [
            any(detector is None or d == detector for d, _ in v.alerts.get(day, []))
            for day in EVAL_DAYS
        ]
    return [v.baseline[method][day] for day in EVAL_DAYS]


def quiet_days(v: Variant) -> list[bool]:
    falling = v.case.kind == "throughput"
    return [quiet_day(v.hourly, day * 24 + EVAL_HOUR, falling_is_bad=falling) for day in EVAL_DAYS]


def ttd_hours(v: Variant, method: str) -> float | None:
    assert v.onset is not None
    lag = time_to_detect(flags(v, method), [eval_time(d) for d in EVAL_DAYS], v.onset, WITHIN)
    return None if lag is None else lag / HOUR


@dataclass
class FalseAlerts:
    """Episodes on clean copies: quiet (begun on a quiet day) and all, with their denominators."""

    quiet: int = 0
    quiet_days: int = 0
    all: int = 0
    days: int = 0

    def add(self, fl: list[bool], quiet: list[bool]) -> None:
        self.quiet += episodes(fl, quiet)
        self.quiet_days += sum(quiet)
        self.all += episodes(fl)
        self.days += len(fl)

    def rates(self) -> tuple[float, float]:
        return (
            1000 * self.quiet / max(self.quiet_days, 1),
            1000 * self.all / max(self.days, 1),
        )


def false_alerts(clean: list[Variant], method: str, detector: str | None = None) -> FalseAlerts:
    out = FalseAlerts()
    for v in clean:
        out.add(flags(v, method, detector), quiet_days(v))
    return out


def recall(ramped: list[Variant], method: str) -> tuple[float, float, float]:
    """(recall within 7 days, within 24 h, median hours to detect of those found)."""
    ttds = [ttd_hours(v, method) for v in ramped]
    found = [t for t in ttds if t is not None]
    n = max(len(ttds), 1)
    med = float(np.median(found)) if found else float("nan")
    return len(found) / n, sum(t <= 24 for t in found) / n, med


def report(title: str, variants: list[Variant]) -> None:
    """One table per corpus: every case and method, then false alerts and their detectors."""
    print(f"\n== {title}")
    head = f"{'case':30s} {'n':>5s} " + " ".join(f"{m:>22s}" for m in METHODS)
    print(head)
    print(f"{'':30s} {'':5s} " + " ".join(f"{'r@7d  r@1d  TTDmed':>22s}" for _ in METHODS))
    for case in CASES:
        members = [v for v in variants if v.case == case]
        if case.shape == "clean" or not members:
            continue
        cells = []
        for method in METHODS:
            r7, r1, med = recall(members, method)
            cells.append(f"{r7:5.2f} {r1:5.2f} {med:6.0f}h")
        print(f"{case.label:30s} {len(members):5d} " + " ".join(f"{c:>22s}" for c in cells))
    print(
        "false-alert episodes on clean copies: quiet = begun on a quiet day per 1,000 quiet "
        "series-days (count / quiet days); all = per 1,000 clean series-days (count / days)"
    )
    for case in CASES:
        clean = [v for v in variants if v.case == case and case.shape == "clean"]
        if not clean:
            continue
        for method in METHODS:
            fa = false_alerts(clean, method)
            q, a = fa.rates()
            label = case.label if method == METHODS[0] else ""
            print(
                f"  {label:22s} {method:12s} quiet {q:6.1f} ({fa.quiet}/{fa.quiet_days})"
                f"   all {a:6.1f} ({fa.all}/{fa.days})"
            )
        detectors = sorted({d for v in clean for day in v.alerts.values() for d, _ in day})
        alert_days = sum(len(v.alerts) for v in clean)
        for detector in detectors:
            fa = false_alerts(clean, "detectors", detector)
            share = sum(
                any(d == detector for d, _ in found) for v in clean for found in v.alerts.values()
            )
            print(
                f"  {'':22s}   {detector:18s} quiet {fa.quiet:3d}  all {fa.all:3d} episodes, "
                f"on {share}/{alert_days} alerting days"
            )


def targets(variants: list[Variant]) -> None:
    """The lead's targets, on every corpus selected together."""
    by_key = defaultdict(list)
    for v in variants:
        by_key[v.case.key].append(v)
    r7, _, med = recall(by_key["lat-ramp20"], "detectors")
    fa = false_alerts(by_key["lat-clean"], "detectors")
    q, a = fa.rates()
    _, s1, _ = recall(by_key["lat-step50"], "detectors")
    e7, _, _ = recall(by_key["err-ramp50"], "detectors")
    rows = [
        ("+20%/week latency ramp recall within 7 days", f"{r7:.2f}", ">= 0.90", r7 >= 0.9),
        ("  median time to detect it", f"{med:.0f} h", "<= 96 h", med <= 96),
        ("quiet false episodes /1,000 quiet latency series-days", f"{q:.1f}", "<= 2", q <= 2),
        ("all false episodes /1,000 clean latency series-days", f"{a:.1f}", "<= 20", a <= 20),
        ("+50% latency step found within 24 h", f"{s1:.2f}", "~1", s1 >= 0.9),
        ("error-rate +50%/week recall within 7 days", f"{e7:.2f}", ">= 0.80", e7 >= 0.8),
    ]
    print("\n== targets (all selected corpora, detectors)")
    for name, value, goal, ok in rows:
        print(f"  {name:55s} {value:>8s}  (target {goal:8s}) {'ok' if ok else 'MISSED'}")


def dump(path: Path, variants: list[Variant]) -> None:
    """Per variant: case, onset, per-day alerts (detector, summary), baselines, quiet days."""
    out: list[dict[str, Any]] = []
    for v in variants:
        quiet = quiet_days(v) if v.case.shape == "clean" else None
        days = []
        for i, day in enumerate(EVAL_DAYS):
            entry: dict[str, Any] = {
                "day": day,
                "as_of": datetime.fromtimestamp(eval_time(day), UTC).isoformat(),
                "findings": [{"detector": d, "summary": s} for d, s in v.alerts.get(day, [])],
                "naive_wow": v.baseline["naive WoW"][day],
                "plain_mk": v.baseline["plain MK"][day],
            }
            if quiet is not None:
                entry["quiet"] = quiet[i]
            days.append(entry)
        out.append(
            {
                "id": v.id,
                "corpus": v.corpus,
                "series": v.series,
                "window": v.window,
                "split": v.split,
                "case": v.case.label,
                "onset": None
                if v.onset is None
                else datetime.fromtimestamp(v.onset, UTC).isoformat(),
                "ttd_h": None if v.onset is None else ttd_hours(v, "detectors"),
                "days": days,
            }
        )
    path.write_text(json.dumps(out, indent=1), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--data",
        type=Path,
        default=Path(os.environ.get("SEAMWATCH_REAL_DATA") or DEFAULT_DATA),
        help="the extracted corpora (default: $SEAMWATCH_REAL_DATA or /work/data/real)",
    )
    parser.add_argument("--split", choices=("tune", "holdout", "all"), default="all")
    parser.add_argument("--corpus", choices=("aiops", "jumpstarter", "all"), default="all")
    parser.add_argument("--limit", type=int, default=None, help="first N series per corpus")
    parser.add_argument("--seed", type=int, default=SEED, help="levels, onsets, error draws")
    parser.add_argument("--json", type=Path, default=None, help="per-variant results to this file")
    parser.add_argument(
        "--config", type=Path, default=None, help="config.toml whose [detectors] to use"
    )
    parser.add_argument("--keep", type=Path, default=None, help="write the store to this file")
    args = parser.parse_args(argv)
    clock = time.perf_counter()
    try:
        if not args.data.is_dir():
            raise SeamwatchError(
                f"{args.data}: no such directory (fetch the data: bench/fetch_real_data.md)"
            )
        if args.limit is not None and args.limit < 1:
            raise SeamwatchError(f"--limit: {args.limit} (give at least 1)")
        settings = load_settings(args.config) if args.config else Settings()
        corpora = ("aiops", "jumpstarter") if args.corpus == "all" else (args.corpus,)
        splits = {"tune", "holdout"} if args.split == "all" else {args.split}
        series: list[RealSeries] = []
        notes = []
        for corpus in corpora:
            if corpus == "aiops":
                found, skipped = load_aiops(args.data)
                notes.append(f"aiops: {len(found)} series ({skipped} z-scored ones skipped)")
            else:
                found = load_jumpstarter(args.data)
                notes.append(f"jumpstarter: {len(found)} series")
            found = [s for s in found if split_of(s.split_key) in splits]
            series += found[: args.limit] if args.limit else found
    except SeamwatchError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    variants, pending, _ = build(series, args.seed, splits)
    loaded = time.perf_counter() - clock
    print(f"data {args.data}: {'; '.join(notes)}; split {args.split}, seed {args.seed}")
    for corpus in corpora:
        mine = [s for s in series if s.corpus == corpus]
        kept = {(v.series, v.window) for v in variants if v.corpus == corpus}
        used = {v.series for v in variants if v.corpus == corpus}
        traffic = {
            (v.series, v.window)
            for v in variants
            if v.corpus == corpus and v.case.kind == "throughput"
        }
        total = sum(sum(1 for _ in windows(s)) for s in mine)
        print(
            f"  {corpus}: {len(mine)} series selected, {len(used)} with a kept window; "
            f"{len(kept)} of {total} windows kept (>= {MIN_COVERAGE:.0%} samples, no gap > 24 h), "
            f"{len(traffic)} throughput-like"
        )
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(args.keep or Path(tmp) / "real.duckdb")
        store.migrate()
        clock2 = time.perf_counter()
        rows = write_batches(store, tables(pending))
        pending.clear()
        written = time.perf_counter() - clock2
        print(
            f"store: {len(variants)} integrations, {rows:,} samples, written and rolled up in "
            f"{written:.0f}s (data read and variants built in {loaded:.0f}s)"
        )
        clock2 = time.perf_counter()
        errors = evaluate(store, variants, settings)
        print(
            f"{len(EVAL_DAYS)} daily evaluations (detect --as-of over the whole store, and the "
            f"baselines) in {time.perf_counter() - clock2:.0f}s"
        )
        if errors:
            print(f"WARNING: detector errors: {dict(errors)}")
    for corpus in corpora:
        report(f"{corpus} (split {args.split})", [v for v in variants if v.corpus == corpus])
    if len(corpora) > 1:
        report(f"all corpora (split {args.split})", variants)
    targets(variants)
    if args.json:
        dump(args.json, variants)
        print(f"\nper-variant results: {args.json}")
    print(f"\nwall time {time.perf_counter() - clock:.0f}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
