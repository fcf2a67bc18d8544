"""The demo source: a simulated fleet of integrations with scripted degradations.

`make up` seeds the store from this source so every page, detector and report has something
true to show. The fleet lives here, not in the inventory files: the demo must produce data for an
integration nobody inventoried (`partner-shadow-feed`), and must not depend on files a user edits.
`data/inventory/*.toml` describe the same ids.

Every value is a pure function of (seed, integration, metric, time, anchor). Randomness is
counter-based: each UTC day of each noise component draws from an RNG seeded by
(seed, crc32(integration), crc32(component), day), so a backfill and a later live cycle write the
same value for the same timestamp. The AR(1) path of a day is warmed up on the previous day's
innovations, so consecutive days join without a visible seam.

Scripted situations, relative to the anchor A (when the demo was seeded):

- `crm-orders-to-erp`: latency rising 20% per week since A-14d (p95/p99 fully, p50 by ^0.4),
  continuing after A (capped at 4x).
- `payments-webhook`: error rate steps 0.2% -> 1.5% at A-60h.
- `shipment-events`: DLQ grows without draining from A-3d on.
- `inventory-sync`: throughput glides to half between A-4d and A-3d and stays there.
- `pos-sales-stream`: no data from A-6h on.
- `legacy-soap-pricing`: deprecated, sunset 2026-09-30, still busy (inventory only).
- `marketing-leads-import`: no owner (inventory only).
- `hr-employee-sync`: review overdue (inventory only).
- `partner-shadow-feed`: has data, is in no inventory file.
- `returns-portal-api` (planned) and `legacy-edi-orders` (retired): no data at all.
- everything else: healthy, stationary seasonal series.
"""

from __future__ import annotations

import logging
import math
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import ClassVar

import numpy as np
import pyarrow as pa
from pydantic import Field, StrictBool
from scipy.signal import lfilter
from scipy.special import expit

from collectors.base import Batch, CollectContext, Source
from seamwatch.config.base import StrictModel
from seamwatch.inventory import Pattern
from seamwatch.metrics import Metric
from seamwatch.store import SAMPLE_SCHEMA
from seamwatch.timeutil import align, ensure_utc, parse_timestamp

log = logging.getLogger(__name__)

__all__ = [
    "FLEET",
    "FLEET_BY_ID",
    "PATTERN_METRICS",
    "STORY",
    "DemoOptions",
    "DemoSource",
    "FleetSpec",
    "Profile",
    "Situation",
    "emitting_ids",
    "simulate",
]

DAY = 86_400
HOUR = 3_600
MINUTES = 1_440
US = 1_000_000
ANCHOR_KEY = "anchor"

M = Metric
ONLINE_METRICS = (M.THROUGHPUT, M.ERROR_RATE, M.LATENCY_P50_MS, M.LATENCY_P95_MS, M.LATENCY_P99_MS)
PATTERN_METRICS: dict[Pattern, tuple[Metric, ...]] = {
    Pattern.SYNC_API: ONLINE_METRICS,
    Pattern.EVENT: (*ONLINE_METRICS, M.DLQ_DEPTH),
    Pattern.STREAM: (*ONLINE_METRICS, M.DLQ_DEPTH),
    Pattern.BATCH: (M.THROUGHPUT, M.ERROR_RATE),
    Pattern.FILE: (M.THROUGHPUT, M.ERROR_RATE, M.DLQ_DEPTH),
}
"""What each pattern reports: no DLQ behind a synchronous API, no latency for bulk runs."""


class Situation(StrEnum):
    """What the numbers of one simulated integration are scripted to show."""

    HEALTHY = "healthy"
    LATENCY_RAMP = "latency-ramp"
    ERROR_STEP = "error-step"
    DLQ_GROWTH = "dlq-growth"
    THROUGHPUT_HALVED = "throughput-halved"
    STOPPED = "stopped"
    NO_DATA = "no-data"


@dataclass(frozen=True)
class Profile:
    """A daily and weekly load shape in UTC: busy hours, night floor, weekend level."""

    opens: float
    closes: float
    night: float
    weekend: float
    evening: float = 0.0


OFFICE = Profile(opens=7.0, closes=18.5, night=0.06, weekend=0.18)
RETAIL = Profile(opens=8.0, closes=22.0, night=0.10, weekend=1.25, evening=0.35)
MACHINE = Profile(opens=6.0, closes=22.0, night=0.45, weekend=0.8)


@dataclass(frozen=True)
class FleetSpec:
    """One simulated integration: its pattern, base levels and scripted situation.

    `rate` is the weekday peak in msg/s (records/s inside a run for batch and file);
    `error` the baseline probability that one message fails; `windows` the UTC start hours of
    batch and file runs.
    """

    id: str
    pattern: Pattern
    situation: Situation = Situation.HEALTHY
    rate: float = 10.0
    error: float = 0.002
    p50_ms: float = 50.0
    p95_ratio: float = 2.4
    p99_ratio: float = 1.6
    profile: Profile = OFFICE
    spikes_per_day: float = 1.5
    dlq_per_day: float = 0.3
    windows: tuple[float, ...] = ()
    window_minutes: float = 30.0
    weekdays_only: StrictBool = False

    @property
    def metrics(self) -> tuple[Metric, ...]:
        """The metrics the demo emits for this integration (none when it has no data)."""
        return () if self.situation is Situation.NO_DATA else PATTERN_METRICS[self.pattern]


P, S = Pattern, Situation
FLEET: tuple[FleetSpec, ...] = (
    # sales
    # p95 latency rising ~20% per week for the last two weeks
    FleetSpec("crm-orders-to-erp", P.SYNC_API, S.LATENCY_RAMP,
              rate=12, error=0.002, p50_ms=120, p95_ratio=2.3, p99_ratio=1.7),
    FleetSpec("crm-accounts-sync", P.EVENT, rate=3, error=0.001, p50_ms=40, dlq_per_day=0.3),
    # deprecated, sunset 2026-09-30 passed, still carries traffic
    FleetSpec("legacy-soap-pricing", P.SYNC_API, S.HEALTHY,
              rate=6, error=0.003, p50_ms=220, p95_ratio=2.0, profile=RETAIL),
    # no owner in the inventory
    FleetSpec("marketing-leads-import", P.BATCH, S.HEALTHY,
              rate=40, error=0.004, windows=(3.0,), window_minutes=25),
    # payments
    # error rate stepped from 0.2% to 1.5% about 2.5 days ago
    FleetSpec("payments-webhook", P.EVENT, S.ERROR_STEP,
              rate=8, error=0.002, p50_ms=60, profile=RETAIL, dlq_per_day=0.2),
    FleetSpec("payment-settlements-to-ledger", P.FILE, rate=350, error=0.0005,
              windows=(5.0,), window_minutes=20, dlq_per_day=0.1),
    FleetSpec("fraud-score-api", P.SYNC_API, rate=8, error=0.001, p50_ms=90, profile=RETAIL),
    # logistics
    # DLQ grows and never drains for the last ~3 days
    FleetSpec("shipment-events", P.EVENT, S.DLQ_GROWTH,
              rate=15, error=0.002, p50_ms=35, profile=MACHINE),
    # throughput quietly halved over the last ~4 days
    FleetSpec("inventory-sync", P.STREAM, S.THROUGHPUT_HALVED,
              rate=120, error=0.0005, p50_ms=25, p95_ratio=2.8, profile=MACHINE),
    FleetSpec("carrier-rates-api", P.SYNC_API, rate=4, error=0.002, p50_ms=150, p95_ratio=2.1),
    FleetSpec("returns-portal-api", P.SYNC_API, S.NO_DATA),  # planned: no data yet
    FleetSpec("legacy-edi-orders", P.FILE, S.NO_DATA),  # retired: no data any more
    # finance
    # data stopped arriving about 6 hours ago
    FleetSpec("pos-sales-stream", P.STREAM, S.STOPPED,
              rate=60, error=0.001, p50_ms=80, profile=RETAIL),
    FleetSpec("gl-journal-export", P.BATCH, rate=600, error=0.001,
              windows=(1.0,), window_minutes=45),
    # deprecated, sunset 2027-03-31 still ahead
    FleetSpec("edi-invoices-sftp", P.FILE, S.HEALTHY,
              rate=30, error=0.002,
              windows=(8.0, 12.0, 16.0), window_minutes=10, weekdays_only=True, dlq_per_day=0.1),
    # people
    # review overdue (last review 2025-02-14)
    FleetSpec("hr-employee-sync", P.BATCH, S.HEALTHY,
              rate=25, error=0.003, windows=(2.0, 8.0, 14.0, 20.0), window_minutes=12),
    FleetSpec("payroll-export", P.FILE, rate=80, error=0.0005, windows=(18.0,),
              window_minutes=15, weekdays_only=True, dlq_per_day=0.05),
    # nobody's
    # seen in data but in no inventory file
    FleetSpec("partner-shadow-feed", P.EVENT, S.HEALTHY,
              rate=0.8, error=0.003, p50_ms=70),
)  # fmt: skip
FLEET_BY_ID: dict[str, FleetSpec] = {spec.id: spec for spec in FLEET}

STORY: dict[str, tuple[str, str]] = {
    "crm-orders-to-erp": ("latency_p95_ms", "trend"),
    "payments-webhook": ("error_rate", "level_shift"),
    "shipment-events": ("dlq_depth", "dlq_growth"),
    "inventory-sync": ("throughput", "throughput_drop"),
    "pos-sales-stream": ("", "no_data"),
    "legacy-soap-pricing": ("", "past_sunset"),
    "marketing-leads-import": ("", "no_owner"),
    "hr-employee-sync": ("", "review_overdue"),
    "partner-shadow-feed": ("", "not_inventoried"),
}
"""What each scripted situation must be found as, (metric, detector name): the demo's story,
checked at every hour of the week by tests/test_detect_demo.py and bench/demo_story.py."""

RAMP_START = 14 * DAY
RAMP_PER_WEEK = 1.20
RAMP_CAP = 4.0
ERROR_STEP_AT = 60 * HOUR
ERROR_STEP_TO = 0.015
DLQ_GROWTH_FROM = 3 * DAY
HALVING_FROM, HALVING_TO = 4 * DAY, 3 * DAY
STOPPED_AT = 6 * HOUR


class DemoOptions(StrictModel):
    """The demo's own keys in a `[[sources]]` block."""

    seed: int = Field(default=7, ge=0, description="same seed and anchor, same numbers")


class DemoSource(Source):
    """The simulated fleet as a source: live cycles and backfills agree sample for sample."""

    kind: ClassVar[str] = "demo"
    Options: ClassVar[type[StrictModel]] = DemoOptions

    @property
    def seed(self) -> int:
        """The configured seed."""
        return self.options.seed if isinstance(self.options, DemoOptions) else DemoOptions().seed

    @property
    def step(self) -> timedelta:
        """The sample spacing: the source interval, at least one second."""
        return max(timedelta(seconds=int(self.interval.total_seconds())), timedelta(seconds=1))

    def anchor(self, ctx: CollectContext) -> datetime:
        """The scenario anchor from the source state; until one is stored, ctx.now."""
        if ANCHOR_KEY in ctx.state:
            return parse_timestamp(ctx.state[ANCHOR_KEY])
        return ensure_utc(ctx.now)

    def state(self, ctx: CollectContext) -> dict[str, str]:
        """The state a batch carries: the anchor fixed by the first cycle (or backfill)."""
        if ANCHOR_KEY not in ctx.state:
            log.info("demo source %s: scenario anchored at %s", self.name, self.anchor(ctx))
        return {**ctx.state, ANCHOR_KEY: self.anchor(ctx).isoformat()}

    def collect(self, ctx: CollectContext) -> Batch:
        """One sample per (integration, metric) at the aligned cycle time."""
        anchor = self.anchor(ctx)
        at = align(ctx.now, self.step)
        table = simulate(None, at, at + self.step, self.step, self.seed, anchor, source=self.name)
        return Batch(samples=table, state=self.state(ctx))

    def backfill(self, ctx: CollectContext, start: datetime, end: datetime) -> Iterator[Batch]:
        """History over [start, end), one batch per UTC day (the first and last may be partial)."""
        anchor, state = self.anchor(ctx), self.state(ctx)
        cursor, end = ensure_utc(start), ensure_utc(end)
        while cursor < end:
            midnight = datetime.fromtimestamp(int(cursor.timestamp()) // DAY * DAY, UTC)
            upto = min(end, midnight + timedelta(days=1))
            yield Batch(
                samples=simulate(
                    None, cursor, upto, self.step, self.seed, anchor, source=self.name
                ),
                state=state,
            )
            cursor = upto

    def integrations(self) -> set[str] | None:
        """None: the config names no integrations, the fleet is built in.

        `check` treats named-but-uninventoried ids as config errors; `partner-shadow-feed` is
        meant to surface later, as data nobody inventoried. `emitting_ids()` lists the fleet.
        """
        return None


def emitting_ids() -> set[str]:
    """Every id the demo emits samples for, including the one nobody inventoried."""
    return {spec.id for spec in FLEET if spec.metrics}


def simulate(
    integrations: Iterable[str | FleetSpec] | None,
    start: datetime,
    end: datetime,
    step: timedelta = timedelta(seconds=60),
    seed: int = 7,
    anchor: datetime | None = None,
    *,
    source: str = "demo",
) -> pa.Table:
    """Samples of the given integrations (ids of FLEET or specs; None = FLEET) over [start, end).

    Timestamps are the multiples of `step` since the epoch inside the range; `anchor` (default:
    `end`) is the moment the scripted situations are relative to.
    """
    specs = _resolve(integrations)
    step_s = int(step.total_seconds())
    if step_s < 1:
        raise ValueError(f"demo step must be at least one second, got {step}")
    start_us, end_us = _to_us(start), _to_us(end)
    anchor_us = _to_us(anchor) if anchor is not None else end_us
    step_us = step_s * US
    first_s = -(-start_us // step_us) * step_s
    grid = np.arange(first_s, -(-end_us // US), step_s, dtype=np.int64)
    grid = grid[grid * US < end_us]

    ts_parts: list[np.ndarray] = []
    id_parts: list[np.ndarray] = []
    metric_parts: list[np.ndarray] = []
    value_parts: list[np.ndarray] = []
    metric_index = {m: i for i, m in enumerate(Metric)}
    for spec_index, spec in enumerate(specs):
        if not spec.metrics or grid.size == 0:
            continue
        ts = grid
        if spec.situation is Situation.STOPPED:
            ts = ts[ts * US < anchor_us - STOPPED_AT * US]
        if ts.size == 0:
            continue
        values = _series(spec, ts, seed, anchor_us / US)
        for metric, column in values.items():
            ts_parts.append(ts)
            value_parts.append(column)
            id_parts.append(np.full(ts.size, spec_index, dtype=np.int32))
            metric_parts.append(np.full(ts.size, metric_index[metric], dtype=np.int32))
    if not ts_parts:
        return SAMPLE_SCHEMA.empty_table()

    rows = sum(part.size for part in ts_parts)
    return pa.Table.from_arrays(
        [
            pa.array(np.concatenate(ts_parts) * US, type=SAMPLE_SCHEMA.field("ts").type),
            _strings(np.concatenate(id_parts), [s.id for s in specs]),
            _strings(np.concatenate(metric_parts), [m.value for m in Metric]),
            pa.array(np.concatenate(value_parts), type=pa.float64()),
            _strings(np.zeros(rows, dtype=np.int32), [source]),
        ],
        schema=SAMPLE_SCHEMA,
    )


def _resolve(integrations: Iterable[str | FleetSpec] | None) -> list[FleetSpec]:
    if integrations is None:
        return list(FLEET)
    specs: list[FleetSpec] = []
    for item in integrations:
        if isinstance(item, FleetSpec):
            specs.append(item)
        elif item in FLEET_BY_ID:
            specs.append(FLEET_BY_ID[item])
        else:
            raise ValueError(f"{item!r} is not in the demo fleet (known: {', '.join(FLEET_BY_ID)})")
    return specs


def _to_us(ts: datetime) -> int:
    utc = ensure_utc(ts)
    return (utc - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)


def _strings(indices: np.ndarray, names: list[str]) -> pa.Array:
    """A string column from small-integer codes, without building millions of Python strings."""
    return pa.DictionaryArray.from_arrays(pa.array(indices), pa.array(names)).dictionary_decode()


def _series(spec: FleetSpec, ts: np.ndarray, seed: int, anchor: float) -> dict[Metric, np.ndarray]:
    """Values of every metric of one integration at sorted epoch-second timestamps."""
    days = ts // DAY
    bounds = np.flatnonzero(np.diff(days)) + 1
    starts, stops = np.r_[0, bounds], np.r_[bounds, ts.size]
    out = {m: np.empty(ts.size) for m in spec.metrics}
    for lo, hi in zip(starts, stops, strict=True):
        day = int(days[lo])
        block = _day_block(spec, day, seed, anchor)
        minute = (ts[lo:hi] - day * DAY) // 60
        for metric in spec.metrics:
            out[metric][lo:hi] = block[metric][minute]
    return out


class _Day:
    """The random streams of one integration on one UTC day, each keyed by its own name."""

    def __init__(self, spec: FleetSpec, day: int, seed: int) -> None:
        self.spec, self.day, self.seed = spec, day, seed
        self.t = (day * DAY + np.arange(MINUTES) * 60).astype(np.float64)

    def rng(self, stream: str, day: int | None = None) -> np.random.Generator:
        """The generator of one stream on one day: the same key always gives the same draws."""
        key = [
            self.seed,
            zlib.crc32(self.spec.id.encode()),
            zlib.crc32(stream.encode()),
            (self.day if day is None else day) & 0xFFFF_FFFF,
        ]
        return np.random.default_rng(key)

    def ar(self, stream: str, tau_minutes: float, sigma: float) -> np.ndarray:
        """A stationary AR(1) path (std sigma, time constant tau), warmed up on yesterday."""
        phi = math.exp(-1.0 / tau_minutes)
        shocks = np.concatenate(
            [self.rng(stream, self.day - 1).standard_normal(MINUTES),
             self.rng(stream).standard_normal(MINUTES)]
        )  # fmt: skip
        path = lfilter([sigma * math.sqrt(1.0 - phi * phi)], [1.0, -phi], shocks)
        return path[MINUTES:]

    def events(self, stream: str, per_day: float) -> list[tuple[int, np.ndarray]]:
        """Random events of yesterday and today: (start minute on a 2-day axis, 3 uniforms)."""
        found: list[tuple[int, np.ndarray]] = []
        for offset, day in ((0, self.day - 1), (MINUTES, self.day)):
            rng = self.rng(stream, day)
            count = int(rng.poisson(per_day))
            starts = rng.integers(0, MINUTES, count)
            params = rng.random((count, 3))
            found.extend((offset + int(s), p) for s, p in zip(starts, params, strict=True))
        return found


def _day_block(spec: FleetSpec, day: int, seed: int, anchor: float) -> dict[Metric, np.ndarray]:
    """Every metric of one integration for each minute of one UTC day."""
    d = _Day(spec, day, seed)
    busy = _load(spec.profile, d.t)
    if spec.pattern in (Pattern.BATCH, Pattern.FILE):
        load, surge = _runs(d)
    else:
        load = busy * np.exp(d.ar("thr-slow", 150, 0.08) + d.ar("thr-fast", 4, 0.05))
        surge = _spikes(d)
    if spec.situation is Situation.THROUGHPUT_HALVED:
        load = load * _halving(d.t, anchor)

    count = d.rng("count").poisson(spec.rate * load * 60)
    error_p = spec.error * np.exp(d.ar("err", 240, 0.2)) * (1 + 0.4 * (surge - 1))
    if spec.situation is Situation.ERROR_STEP:
        error_p = error_p * _error_step(d.t, anchor, ERROR_STEP_TO / spec.error)
    errors = d.rng("errors").binomial(count, np.clip(error_p, 0.0, 0.5))
    block: dict[Metric, np.ndarray] = {
        M.THROUGHPUT: count / 60.0,
        M.ERROR_RATE: np.where(count > 0, errors / np.maximum(count, 1), 0.0),
    }
    if M.LATENCY_P50_MS in spec.metrics:
        block.update(_latency(d, busy, surge, anchor))
    if M.DLQ_DEPTH in spec.metrics:
        depth = _dlq_bursts(d)
        if spec.situation is Situation.DLQ_GROWTH:
            depth = depth + _dlq_growth(d, anchor)
        block[M.DLQ_DEPTH] = depth
    return block


def _load(profile: Profile, t: np.ndarray) -> np.ndarray:
    """Load as a fraction of the weekday peak: business hours, lunch dip, quiet weekends."""
    hour = (t % DAY) / HOUR
    weekend = ((t // DAY + 3) % 7) >= 5  # 1970-01-01 was a Thursday
    busy = expit((hour - profile.opens) / 0.8) * expit((profile.closes - hour) / 1.0)
    shape = 1.0 - 0.12 * np.exp(-(((hour - 12.5) / 0.8) ** 2))  # lunch dip
    shape += profile.evening * np.exp(-(((hour - 20.0) / 1.5) ** 2))
    busy = busy * shape / (1.0 + profile.evening)
    level = np.where(weekend, profile.weekend, 1.0)
    return profile.night + (1.0 - profile.night) * busy * level


def _spikes(d: _Day) -> np.ndarray:
    """Short heavy-tailed slowdowns (Lomax-sized, 3-40 minutes), as a latency multiplier."""
    factor = np.ones(2 * MINUTES)
    for start, (u_size, u_len, _) in d.events("spikes", d.spec.spikes_per_day):
        size = min(1.3 + 0.8 * ((1.0 - u_size) ** (-1 / 2.2) - 1.0), 10.0)
        factor[start : start + 3 + int(u_len * 37)] *= size
    return factor[MINUTES:]


def _runs(d: _Day) -> tuple[np.ndarray, np.ndarray]:
    """Batch and file runs: load inside each run window (0 outside), and bad-run multipliers."""
    minute = np.arange(MINUTES) + 0.5
    draws = d.rng("runs").random((len(d.spec.windows), 4))
    load = np.zeros(MINUTES)
    surge = np.ones(MINUTES)
    if d.spec.weekdays_only and (d.day + 3) % 7 >= 5:
        return load, surge
    for (u_shift, u_len, u_volume, u_bad), hour in zip(draws, d.spec.windows, strict=True):
        begin = hour * 60 - 4 + 16 * u_shift
        finish = begin + d.spec.window_minutes * (0.95 + 0.1 * u_len)
        edge = np.clip(np.minimum(minute - begin, finish - minute) / 1.5, 0.0, 1.0)
        load = np.maximum(load, edge * (0.96 + 0.08 * u_volume))
        if u_bad < 0.05:
            surge = np.where(edge > 0, 1.0 + 200 * u_bad, surge)
    noise = np.exp(d.ar("thr-fast", 3, 0.06))
    return load * noise, surge


def _latency(
    d: _Day, load: np.ndarray, surge: np.ndarray, anchor: float
) -> dict[Metric, np.ndarray]:
    """p50 < p95 < p99, busier is slower, spikes hit the tail hardest."""
    wander = d.ar("lat-slow", 90, 0.07) + d.ar("lat-fast", 2, 0.05)
    p50 = d.spec.p50_ms * (1 + 0.35 * load) * np.exp(wander)
    p95 = p50 * d.spec.p95_ratio * np.exp(d.ar("p95", 15, 0.06)) * np.sqrt(surge)
    p99 = p95 * d.spec.p99_ratio * np.exp(d.ar("p99", 8, 0.09)) * surge**0.3
    p50 = p50 * np.sqrt(surge)
    if d.spec.situation is Situation.LATENCY_RAMP:
        ramp = _ramp(d.t, anchor)
        p50, p95, p99 = p50 * ramp**0.4, p95 * ramp, p99 * ramp
    p95 = np.maximum(p95, 1.05 * p50)
    p99 = np.maximum(p99, 1.05 * p95)
    return {
        M.LATENCY_P50_MS: np.round(p50, 1),
        M.LATENCY_P95_MS: np.round(p95, 1),
        M.LATENCY_P99_MS: np.round(p99, 1),
    }


def _dlq_bursts(d: _Day) -> np.ndarray:
    """Poison messages arrive in small bursts, sit a while, then someone redrives them."""
    depth = np.zeros(2 * MINUTES)
    is_file = d.spec.pattern is Pattern.FILE
    axis = np.arange(2 * MINUTES)
    for start, (u_size, u_hold, u_drain) in d.events("dlq", d.spec.dlq_per_day):
        size = 1.0 + (u_size > 0.7) if is_file else 1.0 + math.floor(-math.log(1.0 - u_size) * 4)
        hold = (120 + 600 * u_hold) if is_file else (20 + 340 * u_hold)
        drain = 5 + 40 * u_drain
        since = axis - start
        left = np.clip(1.0 - (since - hold) / drain, 0.0, 1.0)
        depth += np.where(since >= 0, size * left, 0.0)
    return np.ceil(np.maximum(depth[MINUTES:] - 1e-9, 0.0))


def _dlq_growth(d: _Day, anchor: float) -> np.ndarray:
    """Messages that land in the DLQ from A-3d on and are never redriven: a cumulative count."""
    begin = anchor - DLQ_GROWTH_FROM

    def arrivals(day: int) -> np.ndarray:
        t = (day * DAY + np.arange(MINUTES) * 60).astype(np.float64)
        rate = 0.05 * (0.3 + _load(d.spec.profile, t))  # about 75 a day, mostly in busy hours
        return d.rng("dlq-growth", day).poisson(rate) * (t >= begin)

    first_day = math.floor(begin / DAY)
    if d.day < first_day:
        return np.zeros(MINUTES)
    carried = sum(int(arrivals(day).sum()) for day in range(first_day, d.day))
    return (carried + np.cumsum(arrivals(d.day))).astype(np.float64)


def _ramp(t: np.ndarray, anchor: float) -> np.ndarray:
    """+20% per week, compounding, from A-14d on; capped so months of live cycles stay sane."""
    weeks = np.clip(t - (anchor - RAMP_START), 0.0, None) / (7 * DAY)
    return np.minimum(RAMP_PER_WEEK**weeks, RAMP_CAP)


def _error_step(t: np.ndarray, anchor: float, factor: float) -> np.ndarray:
    """A step to `factor` times the baseline at A-60h, spread over about half an hour."""
    return 1.0 + (factor - 1.0) * expit((t - (anchor - ERROR_STEP_AT)) / 300.0)


def _halving(t: np.ndarray, anchor: float) -> np.ndarray:
    """1 before A-4d, a log-linear glide to 0.5 by A-3d, then 0.5."""
    progress = np.clip((t - (anchor - HALVING_FROM)) / (HALVING_FROM - HALVING_TO), 0.0, 1.0)
    return 0.5**progress
