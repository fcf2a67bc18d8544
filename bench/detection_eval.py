"""Detection quality on a labelled corpus: recall, time to detect, false alerts per 1,000 series-days.

The corpus has real-world character: daily and weekly seasonality, AR(1) noise plus a slow
wander, heavy-tailed spikes, regime changes lasting hours, missing stretches, low-count
(Poisson/binomial) series, resolutions from 1 minute to 1 hour. Clean copies, and copies with
injected ramps (+5/+10/+20/+50% per week), steps and DLQ growth starting at random times.
Everything is written to a real store and evaluated once a day through the code path of
`seamwatch detect --as-of` (load_frame + run_detectors). Next to the detectors: the naive
baseline (last-7-days mean / previous-7-days mean beyond 1.2), and the bare Mann-Kendall test
(p < 0.01 on the hourly deseasonalised last 10 days, no minimum rate) without ("plain MK") and
with the Hamed-Rao correction, on the same frames. Detector rows are indented below.

Tune on the default corpus (--seed 11); report on the held-out one (--holdout, seed 20261125).
Run: .venv/bin/python bench/detection_eval.py [--quick] [--holdout] [--seed S] [--scale F]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
import warnings
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
from scipy.signal import lfilter

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._evalstore import samples_table, write_batches
from detectors.engine import run_detectors
from detectors.frame import DetectionFrame, load_frame
from detectors.settings import DetectorSettings
from seamwatch.inventory import Inventory
from seamwatch.metrics import Metric
from seamwatch.store import Store

DAY = 86_400
HOUR = 3_600
START = datetime(2026, 9, 7, tzinfo=UTC)  # a Monday
HISTORY_DAYS = 21  # before the first evaluation
EVAL_DAYS = 21
TOTAL_DAYS = HISTORY_DAYS + EVAL_DAYS
EVAL_HOUR = 10  # evaluations run daily at 10:00 UTC
WITHIN = 7 * DAY
HOLDOUT_SEED = 20261125
METRIC_DETECTORS = ["week_over_week", "trend", "level_shift", "throughput_drop", "dlq_growth"]
RESOLUTIONS = (60, 300, 900, 3600)
RESOLUTION_WEIGHTS = (0.15, 0.30, 0.30, 0.25)

# (kind, label, magnitude, count at scale 1)
PLAN = [
    ("latency", "clean", 0.0, 120),
    *[("latency", "ramp", m, 40) for m in (0.05, 0.10, 0.20, 0.50)],
    ("latency", "step", 0.5, 40),
    ("throughput", "clean", 0.0, 80),
    *[("throughput", "ramp", m, 20) for m in (0.05, 0.10, 0.20, 0.50)],
    ("throughput", "step", 0.5, 30),
    ("errors", "clean", 0.0, 80),
    *[("errors", "ramp", m, 20) for m in (0.20, 0.50)],
    ("errors", "step", 4.0, 30),
    ("dlq", "clean", 0.0, 60),
    ("dlq", "growth", 0.0, 40),
]
# AR(1) noise on the log scale: (phi per hour range, sigma range) of a fast component with a
# memory of hours, then of a slow wander with a memory of days. --noisy widens both.
TYPICAL = ((0.2, 0.8), (0.02, 0.08), (0.9, 0.97), (0.005, 0.02))
NOISY = ((0.3, 0.9), (0.03, 0.12), (0.97, 0.995), (0.02, 0.06))
NOISE = TYPICAL

BARE = {m.value: {"trend_per_week": 1e-6, "alpha": 0.01} for m in Metric}

METRIC_OF = {
    "latency": Metric.LATENCY_P95_MS,
    "throughput": Metric.THROUGHPUT,
    "errors": Metric.ERROR_RATE,
    "dlq": Metric.DLQ_DEPTH,
}


@dataclass(frozen=True)
class Spec:
    """One labelled series."""

    id: str
    kind: str
    label: str
    magnitude: float
    step_s: int
    onset: float | None  # epoch seconds of the injected change, None for clean


def corpus(seed: int, scale: float) -> list[Spec]:
    """The labelled series of one corpus."""
    rng = np.random.default_rng(seed)
    start = START.timestamp()
    first_eval = start + HISTORY_DAYS * DAY
    specs = []
    for kind, label, magnitude, count in PLAN:
        for _ in range(max(2, round(count * scale))):
            step = int(rng.choice(RESOLUTIONS, p=RESOLUTION_WEIGHTS))
            onset = None
            if label != "clean":
                onset = first_eval - DAY + rng.uniform(0, (EVAL_DAYS - 7) * DAY)
            specs.append(Spec(f"s{len(specs):04d}", kind, label, magnitude, step, onset))
    return specs


def _ar(rng: np.random.Generator, n: int, phi: float, sigma: float) -> np.ndarray:
    """A stationary AR(1) path with marginal standard deviation sigma."""
    e = rng.normal(0, sigma * np.sqrt(max(1 - phi**2, 1e-6)), n)
    e[0] = rng.normal(0, sigma)
    return lfilter([1.0], [1.0, -phi], e)


def simulate(spec: Spec, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Timestamps and values of one series, with its degradation injected."""
    rng = np.random.default_rng([seed, int(spec.id[1:])])
    start = START.timestamp()
    ts = np.arange(start, start + TOTAL_DAYS * DAY, spec.step_s)
    n, per_hour = ts.size, HOUR / spec.step_s
    hour = (ts % DAY) / HOUR
    weekend = ((ts // DAY + 3) % 7) >= 5
    peak = rng.uniform(9, 16)
    daily = np.exp(-((((hour - peak + 12) % 24 - 12) / rng.uniform(3, 6)) ** 2))
    weekly = np.where(weekend, rng.uniform(0.3, 1.0), 1.0)
    load = rng.uniform(0.05, 0.5) + (1 - 0.0) * daily * weekly  # relative traffic shape
    load = load / load.max()
    # noise: fast AR(1), slow wander, regimes lasting hours, heavy-tailed spikes (log scale)
    noise = _ar(rng, n, rng.uniform(*NOISE[0]) ** (1 / per_hour), rng.uniform(*NOISE[1]))
    noise += _ar(rng, n, rng.uniform(*NOISE[2]) ** (1 / per_hour), rng.uniform(*NOISE[3]))
    for _ in range(rng.poisson(0.3 * TOTAL_DAYS)):
        at = rng.integers(0, n)
        length = int(rng.uniform(1, 8) * per_hour) + 1
        noise[at : at + length] += rng.normal(0, 0.2)
    spikes = np.zeros(n)
    for _ in range(rng.poisson(rng.uniform(0, 3) * TOTAL_DAYS)):
        at = rng.integers(0, n)
        length = max(1, int(rng.uniform(5, 60) * 60 / spec.step_s))
        spikes[at : at + length] += min(np.log1p(rng.pareto(2.0)) + 0.3, 2.5)
    since = np.clip(ts - spec.onset, 0, None) / (7 * DAY) if spec.onset else np.zeros(n)
    after = (ts >= spec.onset) if spec.onset else np.zeros(n, dtype=bool)
    if spec.kind == "latency":
        base = rng.uniform(50, 1500)
        values = base * (1 + rng.uniform(0.1, 0.6) * load) * np.exp(noise + spikes)
        if spec.label == "ramp":
            values *= (1 + spec.magnitude) ** since
        elif spec.label == "step":
            values *= np.where(after, 1 + spec.magnitude, 1.0)
    elif spec.kind == "throughput":
        rate = 10 ** rng.uniform(-1.3, 2.5)  # 0.05 .. 300 msg/s at peak
        mean = rate * load * np.exp(noise - 0.5 * spikes)
        if spec.label == "ramp":
            mean /= (1 + spec.magnitude) ** since
        elif spec.label == "step":
            mean *= np.where(after, 1 - spec.magnitude, 1.0)
        values = rng.poisson(mean * spec.step_s) / spec.step_s
    elif spec.kind == "errors":
        traffic = 10 ** rng.uniform(-1, 2) * load
        count = rng.poisson(traffic * spec.step_s)
        p = rng.uniform(0.001, 0.01) * np.exp(noise + spikes)
        if spec.label == "ramp":
            p *= (1 + spec.magnitude) ** since
        elif spec.label == "step":
            p *= np.where(after, spec.magnitude, 1.0)
        errors = rng.binomial(count, np.clip(p, 0, 1))
        values = np.where(count > 0, errors / np.maximum(count, 1), 0.0)
    else:  # dlq: bursts that are redriven; growth: arrivals that never are
        depth = np.zeros(n)
        for _ in range(rng.poisson(rng.uniform(0.2, 2) * TOTAL_DAYS)):
            at = rng.integers(0, n)
            hold = max(1, int(rng.uniform(0.3, 10) * per_hour))
            depth[at : at + hold] += 1 + rng.poisson(rng.uniform(0.5, 8))
        if spec.label == "growth":
            arrivals = rng.poisson(rng.uniform(5, 60) / DAY * spec.step_s * (0.3 + load)) * after
            depth += np.cumsum(arrivals)
        values = depth
    keep = np.ones(n, dtype=bool)
    for _ in range(rng.integers(0, 4)):  # missing stretches of an hour to two days
        at = rng.integers(0, n)
        keep[at : at + int(rng.uniform(1, 48) * per_hour)] = False
    return ts[keep], values[keep]


def write_corpus(store: Store, specs: list[Spec], seed: int) -> int:
    """All series into the store's samples table; returns the sample count."""
    parts = []
    for spec in specs:
        ts, values = simulate(spec, seed)
        parts.append(samples_table(spec.id, METRIC_OF[spec.kind].value, ts, values, "corpus"))
    return write_batches(store, [parts])


def naive(frame: DetectionFrame) -> set[str]:
    """Last-7-days mean over previous-7-days mean beyond 1.2 (the bad way)."""
    fired = set()
    for metric, mf in frame.metrics.items():
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)
            recent = np.nanmean(mf.mean[:, -168:], axis=1)
            previous = np.nanmean(mf.mean[:, -336:-168], axis=1)
            ratio = recent / previous
        bad = ratio < 1 / 1.2 if metric is Metric.THROUGHPUT else ratio > 1.2
        fired.update(mf.ids[i] for i in np.flatnonzero(bad & np.isfinite(ratio)))
    return fired


def evaluate_corpus(
    store: Store, specs: list[Spec], early_z: float | None = None
) -> dict[str, dict[int, set[str]]]:
    """Per method, per evaluation day: the series flagged."""
    trend = {} if early_z is None else {"trend": {"early_z": early_z}}
    methods = {
        "detectors": DetectorSettings(enabled=METRIC_DETECTORS, **trend),
        # The bare tests: MK at p < 0.01 on the hourly deseasonalised series, any slope the bad
        # way (no minimum rate), without and with the autocorrelation correction.
        "plain MK": DetectorSettings(
            enabled=["trend"],
            trend={"correction": "none", "early": False, "bucket": "1h"},
            metrics=BARE,
        ),
        "Hamed-Rao MK": DetectorSettings(
            enabled=["trend"],
            trend={"correction": "hamed-rao", "early": False, "bucket": "1h"},
            metrics=BARE,
        ),
    }
    fired: dict[str, dict[int, set[str]]] = defaultdict(dict)
    per_detector: dict[str, dict[int, set[str]]] = defaultdict(dict)
    for day in range(EVAL_DAYS):
        as_of = START + timedelta(days=HISTORY_DAYS + day, hours=EVAL_HOUR)
        frame = load_frame(store, Inventory(), as_of, lookback=timedelta(days=28))
        for name, settings in methods.items():
            result = run_detectors(frame, settings, as_of)
            assert not result.errors, result.errors
            fired[name][day] = {f.integration_id for f in result.findings}
            if name == "detectors":
                for f in result.findings:
                    per_detector[f.detector].setdefault(day, set()).add(f.integration_id)
        fired["naive"][day] = naive(frame)
    for detector, days in per_detector.items():
        fired[f"  {detector}"] = {d: days.get(d, set()) for d in range(EVAL_DAYS)}
    return fired


def eval_time(day: int) -> float:
    return (START + timedelta(days=HISTORY_DAYS + day, hours=EVAL_HOUR)).timestamp()


def score(specs: list[Spec], days: dict[int, set[str]]) -> tuple[dict, float, int]:
    """Recall within 7 days and median TTD per (kind, label, magnitude); false-alert episodes."""
    groups: dict[tuple[str, str, float], list[float | None]] = defaultdict(list)
    episodes, clean_days = 0, 0
    for spec in specs:
        flagged = [spec.id in days.get(d, set()) for d in range(EVAL_DAYS)]
        if spec.onset is None:
            clean_days += EVAL_DAYS
            episodes += sum(
                1 for d in range(EVAL_DAYS) if flagged[d] and (d == 0 or not flagged[d - 1])
            )
            continue
        ttd = None
        for d in range(EVAL_DAYS):
            lag = eval_time(d) - spec.onset
            if 0 <= lag <= WITHIN and flagged[d]:
                ttd = lag / HOUR
                break
        groups[(spec.kind, spec.label, spec.magnitude)].append(ttd)
    per_1000 = 1000 * episodes / max(clean_days, 1)
    return groups, per_1000, episodes


def describe(kind: str, label: str, magnitude: float) -> str:
    if label == "ramp":
        sign = "-" if kind == "throughput" else "+"
        return f"{kind} ramp {sign}{magnitude * 100:.0f}%/week"
    if label == "step":
        return f"{kind} step {'x' + str(magnitude) if kind == 'errors' else ('-' if kind == 'throughput' else '+') + f'{magnitude * 100:.0f}%'}"
    return f"{kind} {label}"


def report(specs: list[Spec], fired: dict[str, dict[int, set[str]]]) -> None:
    scored = {name: score(specs, days) for name, days in fired.items()}
    order = ["detectors", "naive", "plain MK", "Hamed-Rao MK"]
    order += sorted(n for n in scored if n.startswith("  "))
    cases = sorted(scored["detectors"][0])
    header = f"{'case':34s} {'n':>4s} " + " ".join(f"{n.strip()[:16]:>22s}" for n in order)
    print("recall within 7 days / median hours to detect")
    print(header)
    for case in cases:
        cells = []
        for name in order:
            ttds = scored[name][0].get(case, [])
            found = [t for t in ttds if t is not None]
            recall = len(found) / len(ttds) if ttds else float("nan")
            med = f"{np.median(found):5.0f}h" if found else "    -"
            cells.append(f"{recall * 100:14.0f}% {med}")
        n = len(scored["detectors"][0][case])
        print(f"{describe(*case):34s} {n:4d} " + " ".join(cells))
    clean = sum(1 for s in specs if s.onset is None)
    print(
        f"\nfalse-alert episodes per 1,000 clean series-days ({clean} clean series x {EVAL_DAYS} days)"
    )
    for name in order:
        _, per_1000, episodes = scored[name]
        print(f"  {name.strip():28s} {per_1000:6.2f}  ({episodes} episodes)")
    target = scored["detectors"][0].get(("latency", "ramp", 0.2), [])
    found = [t for t in target if t is not None]
    naive_target = [
        t for t in scored["naive"][0].get(("latency", "ramp", 0.2), []) if t is not None
    ]
    recall = len(found) / max(len(target), 1)
    naive_recall = len(naive_target) / max(len(target), 1)
    med = float(np.median(found)) if found else float("nan")
    fa, naive_fa = scored["detectors"][1], scored["naive"][1]
    print("\ntargets")
    print(
        f"  +20%/week latency ramp found within 7 days: {recall * 100:.1f}% (target >= 95%)  {'ok' if recall >= 0.95 else 'MISSED'}"
    )
    print(
        f"  median time to detect it: {med:.0f} h (target < 72 h)  {'ok' if med < 72 else 'MISSED'}"
    )
    print(
        f"  false-alert episodes per 1,000 clean series-days: {fa:.2f} (target <= 2)  {'ok' if fa <= 2 else 'MISSED'}"
    )
    better = recall >= naive_recall and fa <= naive_fa
    print(
        f"  vs naive: recall {recall * 100:.0f}% vs {naive_recall * 100:.0f}%, false alerts {fa:.2f} vs {naive_fa:.2f}  {'better on both' if better else 'NOT better on both'}"
    )


def hourly_levels(ts: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Hourly medians over the whole corpus span (NaN where an hour has no sample)."""
    out = np.full(TOTAL_DAYS * 24, np.nan)
    hours = ((ts - START.timestamp()) // HOUR).astype(int)
    order = np.argsort(hours, kind="stable")
    hours, values = hours[order], values[order]
    starts = np.flatnonzero(np.r_[True, np.diff(hours) > 0])
    for lo, hi in zip(starts, np.r_[starts[1:], hours.size], strict=True):
        out[hours[lo]] = np.median(values[lo:hi])
    return out


def oracle(specs: list[Spec], seed: int, daily_false_alarm: float = 0.003) -> None:
    """How early an oracle could flag the +20%/week latency ramps at this false-alarm rate.

    The oracle knows what no detector can: the onset (it tests exactly the hours since) and
    each series' own null distribution, taken from the series' clean twin (the same noise
    without the ramp) at every hour of the 42 days. Its statistic is the ramp-weighted mean of
    the clipped log residual (true seasonal profile) against the two weeks before the onset; it
    flags when that exceeds the twin's (1 - daily_false_alarm) quantile.
    """
    import dataclasses

    ramps = [s for s in specs if s.kind == "latency" and s.label == "ramp" and s.magnitude == 0.2]
    slots = (np.arange(TOTAL_DAYS * 24) % 24) + 24 * ((np.arange(TOTAL_DAYS * 24) % 168) >= 120)
    ttds: list[float] = []
    by_eval = np.zeros(7)
    for spec in ramps:
        twin = dataclasses.replace(spec, label="clean", magnitude=0.0, onset=None)
        ramp = np.log(hourly_levels(*simulate(spec, seed)))
        clean = np.log(hourly_levels(*simulate(twin, seed)))
        profile = np.array([np.nanmedian(clean[slots == k]) for k in range(48)])
        centre = np.nanmedian(clean - profile[slots])
        scale = 1.4826 * np.nanmedian(np.abs(clean - profile[slots] - centre))
        ramp, clean = (
            np.clip(x - profile[slots], centre - 2.5 * scale, centre + 2.5 * scale)
            for x in (ramp, clean)
        )
        found = None
        evals = [d for d in range(EVAL_DAYS) if eval_time(d) >= spec.onset]
        for k, day in enumerate(evals[:7]):
            lag = (eval_time(day) - spec.onset) / HOUR
            age = int(lag)
            if age < 2:
                continue
            weights = (np.arange(1, age + 1) - 0.5) / age

            def stat(
                x: np.ndarray, end: int, age: int = age, weights: np.ndarray = weights
            ) -> float:
                window = x[end - age : end]
                present = np.isfinite(window)
                base = np.nanmean(x[max(0, end - age - 336) : end - age])
                return float(
                    np.sum(np.where(present, weights * (window - base), 0.0))
                    / max(np.sum(np.where(present, weights, 0.0)), 1e-9)
                )

            null = np.array([stat(clean, end) for end in range(336 + age, clean.size)])
            bar = np.quantile(null[np.isfinite(null)], 1 - daily_false_alarm)
            end = (HISTORY_DAYS + day) * 24 + EVAL_HOUR
            if stat(ramp, end) >= bar:
                found = (k, lag)
                break
        if found is not None:
            by_eval[found[0] :] += 1
            ttds.append(found[1])
    share = by_eval / max(len(ramps), 1) * 100
    median = np.median(ttds + [np.inf] * (len(ramps) - len(ttds)))
    print(
        f"\noracle reference (+20%/week latency ramps, onset and each series' null known, "
        f"{daily_false_alarm * 100:.1f}% false alarms per series-day):"
    )
    print(
        "  flagged by the 1st..5th daily evaluation after onset: "
        + " / ".join(f"{v:.0f}%" for v in share[:5])
        + f"; median time to detect {median:.0f} h"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=int, default=11, help="corpus seed (tuning corpus: 11)")
    parser.add_argument(
        "--holdout", action="store_true", help=f"the held-out corpus (seed {HOLDOUT_SEED})"
    )
    parser.add_argument("--quick", action="store_true", help="a quarter of the corpus (CI-sized)")
    parser.add_argument("--scale", type=float, default=None, help="corpus size factor (default 1)")
    parser.add_argument(
        "--noisy", action="store_true", help="much noisier series (AR sigma to 12%%, slow wander)"
    )
    parser.add_argument(
        "--oracle",
        action="store_true",
        help="also print the oracle reference for the +20%%/week latency ramps",
    )
    parser.add_argument(
        "--early-z", type=float, default=None, help="trend's early_z (default: the built-in)"
    )
    args = parser.parse_args()
    global NOISE
    NOISE = NOISY if args.noisy else TYPICAL
    seed = HOLDOUT_SEED if args.holdout else args.seed
    scale = args.scale if args.scale is not None else (0.25 if args.quick else 1.0)
    specs = corpus(seed, scale)
    with tempfile.TemporaryDirectory() as tmp:
        store = Store(Path(tmp) / "corpus.duckdb")
        store.migrate()
        clock = time.perf_counter()
        samples = write_corpus(store, specs, seed)
        built = time.perf_counter() - clock
        print(
            f"corpus seed {seed}{' (held out)' if args.holdout else ''}"
            f"{', noisy' if args.noisy else ''}: {len(specs)} series, "
            f"{samples:,} samples, {TOTAL_DAYS} days, resolutions 1m/5m/15m/1h; built in {built:.1f}s"
        )
        clock = time.perf_counter()
        fired = evaluate_corpus(store, specs, args.early_z)
        print(f"{EVAL_DAYS} daily evaluations x 4 methods in {time.perf_counter() - clock:.1f}s\n")
    report(specs, fired)
    if args.oracle:
        oracle(specs, seed)


if __name__ == "__main__":
    main()
