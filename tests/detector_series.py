"""Synthetic series for detector tests: seasonal, autocorrelated, spiky, written to a real store."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.signal import lfilter

from detectors.engine import Evaluation, evaluate
from detectors.settings import DetectorSettings
from seamwatch.inventory import Integration, Inventory
from seamwatch.store import Store

AS_OF = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)  # a Wednesday morning
DAY = 86_400


def seasonal_series(
    ts: np.ndarray,
    base: float,
    *,
    seed: int,
    daily: float = 0.35,
    weekend: float = 0.8,
    noise: float = 0.06,
    phi_hour: float = 0.6,
    spikes_per_day: float = 0.0,
) -> np.ndarray:
    """base x daily/weekly shape x exp(AR(1) noise) x occasional multi-minute spikes."""
    rng = np.random.default_rng(seed)
    hour = (ts % DAY) / 3600
    weekend_day = ((ts // DAY + 3) % 7) >= 5
    shape = (1 + daily * np.sin(2 * np.pi * (hour - 9) / 24)) * np.where(weekend_day, weekend, 1.0)
    step = float(np.median(np.diff(ts))) if ts.size > 1 else 3600.0
    phi = phi_hour ** (step / 3600)
    innovations = rng.normal(0, noise * np.sqrt(1 - phi**2), ts.size)
    innovations[0] = rng.normal(0, noise)
    ar = lfilter([1.0], [1.0, -phi], innovations)
    values = base * shape * np.exp(ar)
    if spikes_per_day:
        count = rng.poisson(spikes_per_day * (ts[-1] - ts[0]) / DAY)
        for start in rng.integers(0, ts.size, count):
            length = max(1, int(rng.integers(5, 40) * 60 / step))
            values[start : start + length] *= rng.uniform(2, 6)
    return values


def grid(
    days: float = 28, step: timedelta = timedelta(minutes=1), end: datetime = AS_OF
) -> np.ndarray:
    """Epoch seconds on a regular grid over the `days` before `end`."""
    seconds = int(step.total_seconds())
    stop = int(end.timestamp())
    return np.arange(stop - int(days * DAY), stop, seconds, dtype=np.int64)


@dataclass
class Fleet:
    """Series to write: (integration, metric) -> (timestamps, values)."""

    series: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)
    source: str = "test"

    def add(self, integration: str, metric: str, ts: np.ndarray, values: np.ndarray) -> Fleet:
        self.series[(integration, metric)] = (ts, np.asarray(values, dtype=float))
        return self

    def frame(self) -> pd.DataFrame:
        parts = [
            pd.DataFrame(
                {
                    "ts": pd.to_datetime(ts, unit="s", utc=True),
                    "integration_id": iid,
                    "metric": metric,
                    "value": values,
                    "source": self.source,
                }
            )
            for (iid, metric), (ts, values) in self.series.items()
        ]
        return pd.concat(parts, ignore_index=True)

    def store(self, path: Path) -> Store:
        store = Store(path / "seamwatch.duckdb", lock_timeout=5)
        store.migrate()
        store.write_samples(self.frame())
        return store


def ramp(ts: np.ndarray, start: float, per_week: float) -> np.ndarray:
    """A compounding multiplier of (1 + per_week) per week from `start` (epoch seconds) on."""
    return (1 + per_week) ** (np.clip(ts - start, 0, None) / (7 * DAY))


def step(ts: np.ndarray, at: float, factor: float) -> np.ndarray:
    """factor from `at` on, 1 before."""
    return np.where(ts >= at, factor, 1.0)


def integration(iid: str, **fields: object) -> Integration:
    """A valid inventory entry with test defaults."""
    data: dict[str, object] = {
        "id": iid,
        "name": iid,
        "owner": "team",
        "source_system": "A",
        "target_system": "B",
        "pattern": "sync-api",
        "tier": 2,
        "last_review": (AS_OF - timedelta(days=10)).date(),
    }
    data.update(fields)
    return Integration.model_validate(data)


def inventory(*integrations: Integration) -> Inventory:
    inv = Inventory()
    for item in integrations:
        inv.integrations[item.id] = item
        inv.origin[item.id] = Path("inventory/test.toml")
    return inv


def run(
    fleet: Fleet,
    tmp_path: Path,
    *,
    inv: Inventory | None = None,
    settings: DetectorSettings | None = None,
    as_of: datetime = AS_OF,
    intervals: dict[str, timedelta] | None = None,
) -> Evaluation:
    """Write the fleet into a fresh store and evaluate it as of `as_of`.

    Without an inventory, hygiene is off (every series would be "not inventoried").
    """
    store = fleet.store(tmp_path)
    if settings is None:
        settings = DetectorSettings(disabled=[] if inv else ["hygiene"])
    return evaluate(
        store,
        inv or Inventory(),
        settings,
        as_of,
        source_intervals=intervals if intervals is not None else {"test": timedelta(minutes=1)},
    )


def by_detector(result: Evaluation, detector: str) -> list:
    return [f for f in result.findings if f.detector == detector]


Make = Callable[[int], Fleet]
