"""Turning values a source read into a batch: numeric checks, failures and the Arrow table.

Every kind goes through `SampleBuilder`, so NaN, Inf and non-numeric values are refused with the
same wording, and integrations nobody inventoried are kept (their samples are written; the
store shows them as not inventoried). An id read from data that is not a slug (the inventory's
id rule) is refused: one Failure per bad id, naming it and counting its samples.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import pyarrow as pa

from collectors.base import Batch, Failure
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

    def add_many(self, rows: Iterable[tuple[datetime, str, Metric, Any]], *, where: str) -> None:
        """Add (ts, integration, metric, value) rows."""
        for ts, integration, metric, value in rows:
            self.add(ts, integration, metric, value, where=where)

    def fail(
        self, error: str, integration: str | None = None, metric: Metric | str | None = None
    ) -> None:
        """Record what could not be collected, and why."""
        name = metric.value if isinstance(metric, Metric) else metric
        self.failures.append(Failure(error=error, integration=integration, metric=name))

    @property
    def count(self) -> int:
        """Samples added so far."""
        return len(self._values)

    def batch(self) -> Batch:
        """The batch: an Arrow table in the store's schema plus the failures."""
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
        return Batch(samples=table, failures=failures)
