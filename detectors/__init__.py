"""detectors stage (see DESIGN.md): one module per detector, pure functions
`(frame, settings, as_of) -> list[Finding]`, registered here by one line each."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from detectors import (
    cert_expiry,
    consumer_lag,
    dlq_growth,
    hygiene,
    jobs,
    level_shift,
    no_data,
    slo_burn,
    throughput_drop,
    trend,
    week_over_week,
)
from detectors.types import Finding, Severity

if TYPE_CHECKING:
    from detectors.frame import DetectionFrame
    from detectors.settings import DetectorSettings

Detector = Callable[["DetectionFrame", "DetectorSettings", datetime], list[Finding]]

DETECTORS: dict[str, Detector] = {
    "week_over_week": week_over_week.detect,
    "trend": trend.detect,
    "level_shift": level_shift.detect,
    "slo_burn": slo_burn.detect,
    "throughput_drop": throughput_drop.detect,
    "dlq_growth": dlq_growth.detect,
    "no_data": no_data.detect,
    "hygiene": hygiene.detect,
    "cert_expiry": cert_expiry.detect,
    "consumer_lag": consumer_lag.detect,
    "jobs": jobs.detect,
}

__all__ = ["DETECTORS", "Detector", "Finding", "Severity"]
