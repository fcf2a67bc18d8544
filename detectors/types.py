"""Public detector types: what a detector concludes. `reports` may import this module."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from seamwatch.finding_kind import FindingKind
from seamwatch.severity import Severity

__all__ = ["INVENTORY_METRIC", "Finding", "Severity"]


INVENTORY_METRIC = ""
"""The metric of findings that are about the integration as a whole (hygiene, no data)."""


@dataclass(frozen=True)
class Finding:
    """What one detector concluded about one integration and metric at one evaluation.

    `summary` is one line a person understands, with the numbers in it; `evidence` holds the
    figures behind it (baseline, current, change, p-value or burn rate, window) as plain JSON
    values. `onset` is when the change began (a step's change point, a ramp's estimated start,
    the first hour over a threshold, the last sample before silence), set by the detector; it is
    what a person reads as "since". `first_seen`/`last_seen` (when it was detected) are set by
    the lifecycle (or to `as_of` by `evaluate`). `kind` is what its registry entry declares
    (`detectors.spec.DetectorSpec.stamp`), not chosen by the detector.
    """

    integration_id: str
    metric: str
    detector: str
    severity: Severity
    summary: str
    evidence: dict[str, Any] = field(default_factory=dict)
    onset: datetime | None = None
    first_seen: datetime | None = None
    last_seen: datetime | None = None
    kind: FindingKind = FindingKind.DEGRADATION

    @property
    def key(self) -> tuple[str, str, str]:
        """The fingerprint parts: (integration, metric, detector)."""
        return (self.integration_id, self.metric, self.detector)
