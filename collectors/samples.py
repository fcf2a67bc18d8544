"""Turning values a source read into a batch: numeric checks, failures and the Arrow table.

Every kind goes through `SampleBuilder`, so NaN, Inf and non-numeric values are refused with the
same wording, and integrations nobody inventoried are kept (their samples are written; the
store shows them as not inventoried). An id read from data that is not a slug (the inventory's
id rule) is refused: one Failure per bad id, naming it and counting its samples.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from collectors.base import Batch, Failure, FailureKind, Problem
from seamwatch.config.sections import check_slug
from seamwatch.inventory import Inventory
from seamwatch.metrics import Metric
from seamwatch.store import SAMPLE_SCHEMA
from seamwatch.timeutil import ensure_utc

log = logging.getLogger(__name__)

__all__ = ["SampleBuilder", "as_number"]


def as_number(value: Any) -> tuple[float | None, str | None]:
    """A finite float from a number or numeric string, or the reason it is not one."""
    if isinstance(value, bool) or value is None:
        return None, f"non-numeric value {value!r}"
    if isinstance(value, int | float):
        number = float(value)
    elif isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None, f"non-numeric value {value[:60]!r}"
    else:
        return None, f"non-numeric value of type {type(value).__name__}"
    if math.isnan(number):
        return None, "value is NaN"
    if math.isinf(number):
        return None, f"value is {'+' if number > 0 else '-'}Inf"
    return number, None


class SampleBuilder:
    """Collects samples and failures of one cycle (or one backfill chunk) of one source."""

    def __init__(self, source: str, inventory: Inventory | None = None) -> None:
        self.source = source
        self.inventory = inventory
        self.failures: list[Failure] = []
        self._ts: list[datetime] = []
        self._ids: list[str] = []
        self._metrics: list[str] = []
        self._values: list[float] = []
        self._chunks: list[pa.Table] = []  # column-wise additions (add_columns)
        self._uninventoried: set[str] = set()
        self._slugs: set[str] = set()
        self._bad_ids: dict[str, tuple[str, str, int]] = {}  # id -> (why, where first, samples)

    def add(
        self, ts: datetime, integration: str, metric: Metric, value: Any, *, where: str
    ) -> bool:
        """Add one value; a NaN, Inf or non-numeric one, or a non-slug id, is a Failure."""
        if integration not in self._slugs:
            try:
                check_slug(integration)
            except (ValueError, TypeError) as exc:
                why = str(exc) if isinstance(exc, ValueError) else f"{integration!r} is not a slug"
                why, first, count = self._bad_ids.get(integration, (why, where, 0))
                self._bad_ids[integration] = (why, first, count + 1)
                return False
            self._slugs.add(integration)
        number, problem = as_number(value)
        if problem is not None or number is None:
            self.fail(f"{problem} from {where}", integration, metric)
            return False
        self._ts.append(ensure_utc(ts))
        self._ids.append(integration)
        self._metrics.append(metric.value)
        self._values.append(number)
        if self.inventory is not None and integration not in self.inventory:
            self._uninventoried.add(integration)
        return True

    def add_columns(
        self,
        ts: datetime | Sequence[float] | np.ndarray,
        integrations: Sequence[str],
        metric: Metric,
        values: Sequence[Any],
        *,
        where: str,
        timed: bool = False,
    ) -> None:
        """Add many values of one metric at once, checked column-wise in Arrow.

        `ts` is one time for all (an instant query) or Unix seconds per value (a range query);
        values are numbers or numeric strings as APIs send them. Refusals are the same as
        `add`'s, with `where` (plus the sample's time when `timed`) naming each bad value; only
        the refused values are looked at one by one.
        """
        n = len(integrations)
        if n == 0:
            return
        if isinstance(ts, datetime):
            micros = np.full(n, int(ensure_utc(ts).timestamp() * 1_000_000), dtype=np.int64)
        else:
            micros = np.rint(np.asarray(ts, dtype=np.float64) * 1_000_000).astype(np.int64)
        ids = pa.array(integrations, pa.string())
        keep = np.ones(n, dtype=bool)
        for integration in pc.unique(ids).to_pylist():
            if integration in self._slugs:
                continue
            try:
                check_slug(integration)
            except (ValueError, TypeError) as exc:
                why = str(exc) if isinstance(exc, ValueError) else f"{integration!r} is not a slug"
                rows = np.asarray(pc.equal(ids, integration).to_numpy(zero_copy_only=False))
                why, first, count = self._bad_ids.get(integration, (why, where, 0))
                self._bad_ids[integration] = (why, first, count + int(rows.sum()))
                keep &= ~rows
                continue
            self._slugs.add(integration)
            if self.inventory is not None and integration not in self.inventory:
                self._uninventoried.add(integration)
        numbers = _numbers(values)
        finite = np.isfinite(numbers)
        for i in np.flatnonzero(keep & ~finite):
            _, problem = as_number(values[i])
            at = datetime.fromtimestamp(micros[i] / 1_000_000, UTC)
            here = f"{where} at {at:%H:%M:%S}" if timed else where
            self.fail(f"{problem} from {here}", integrations[i], metric)
        keep &= finite
        mask = pa.array(keep)
        count = int(keep.sum())
        self._chunks.append(
            pa.Table.from_arrays(
                [
                    pa.array(micros, pa.int64()).filter(mask).cast(SAMPLE_SCHEMA.field("ts").type),
                    ids.filter(mask),
                    pa.array(np.full(count, metric.value, dtype=object), pa.string()),
                    pa.array(numbers, pa.float64()).filter(mask),
                    pa.array(np.full(count, self.source, dtype=object), pa.string()),
                ],
                schema=SAMPLE_SCHEMA,
            )
        )

    def fail(
        self,
        error: str | Problem,
        integration: str | None = None,
        metric: Metric | str | None = None,
    ) -> None:
        """Record what could not be collected, and why (a Problem keeps its kind; a sentence
        alone is a data failure: the answer was read, a value in it is unusable)."""
        name = metric.value if isinstance(metric, Metric) else metric
        kind = error.kind if isinstance(error, Problem) else FailureKind.DATA
        self.failures.append(Failure(str(error), integration, name, kind))

    @property
    def count(self) -> int:
        """Samples added so far."""
        return len(self._values) + sum(chunk.num_rows for chunk in self._chunks)

    def batch(self, state: Mapping[str, str] | None = None) -> Batch:
        """The batch: an Arrow table in the store's schema, the failures and the source's new
        state (None: unchanged)."""
        failures = list(self.failures)
        for why, where, count in self._bad_ids.values():
            failures.append(
                Failure(error=f"integration id {why}, from {where}: {count} sample(s) not stored")
            )
        if self._uninventoried:
            names = sorted(self._uninventoried)
            log.info(
                "source %s: %d integration(s) not in the inventory, kept as not inventoried: %s",
                self.source,
                len(names),
                ", ".join(names[:10]) + (" ..." if len(names) > 10 else ""),
            )
        table = pa.Table.from_arrays(
            [
                pa.array(self._ts, type=SAMPLE_SCHEMA.field("ts").type),
                pa.array(self._ids, type=pa.string()),
                pa.array(self._metrics, type=pa.string()),
                pa.array(self._values, type=pa.float64()),
                pa.array([self.source] * len(self._values), type=pa.string()),
            ],
            schema=SAMPLE_SCHEMA,
        )
        if self._chunks:
            table = pa.concat_tables([table, *self._chunks])
        return Batch(samples=table, failures=failures, state=state)


def _numbers(values: Sequence[Any]) -> np.ndarray:
    """Floats of numbers or numeric strings, NaN where a value is not numeric (checked later)."""
    try:
        array = pa.array(values)
        if pa.types.is_string(array.type) or pa.types.is_large_string(array.type):
            array = array.cast(pa.float64())
        if pa.types.is_integer(array.type) or pa.types.is_floating(array.type):
            return np.asarray(array.cast(pa.float64()).to_numpy(zero_copy_only=False))
    except (pa.ArrowInvalid, pa.ArrowTypeError):
        pass
    out = np.empty(len(values), dtype=np.float64)
    for i, value in enumerate(values):  # a rare mixed or non-numeric column: one by one
        number, _ = as_number(value)
        out[i] = np.nan if number is None else number
    return out
