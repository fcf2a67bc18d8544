"""Inventory hygiene (not from metrics): no owner, review overdue, a sunset coming up (30 and 7
days before, by default), past sunset but still carrying traffic (and from where), and
integrations seen in the data that no inventory file declares.

Each check is its own detector name in the finding (`no_owner`, `review_overdue`,
`sunset_soon`, `past_sunset`, `not_inventoried`) so they open and resolve independently.
"""

from __future__ import annotations

import warnings
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING

import numpy as np
from pydantic import Field, field_validator

from detectors.common import finding, value
from detectors.frame import DetectionFrame
from detectors.types import INVENTORY_METRIC, Finding, Severity
from seamwatch.config.base import StrictModel
from seamwatch.durations import format_duration
from seamwatch.inventory import Integration, Lifecycle
from seamwatch.metrics import Metric

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings

NAME = "hygiene"
TRAFFIC_WINDOW = 24  # hours


class HygieneOptions(StrictModel):
    """Inventory checks; `traffic_floor` is the throughput (msg/s) that counts as carrying traffic."""

    traffic_floor: float = Field(default=0.0, ge=0)
    # days before a deprecated integration's sunset at which `sunset_soon` warns (issue 16): an
    # info finding from the first, a warning from the last (routed like any other finding)
    sunset_warnings: list[int] = Field(default_factory=lambda: [30, 7], min_length=1)

    @field_validator("sunset_warnings")
    @classmethod
    def _positive_days(cls, value: list[int]) -> list[int]:
        for days in value:
            if days < 1:
                raise ValueError(f"{days} is not a number of days before the sunset (1 or more)")
        return sorted(set(value), reverse=True)


def _traffic(frame: DetectionFrame, floor: float) -> dict[str, float]:
    """Mean throughput over the last day, per integration that carried more than `floor`."""
    mf = frame.get(Metric.THROUGHPUT)
    if mf is None:
        return {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        level = np.nanmean(np.where(mf.mean >= 0, mf.mean, np.nan)[:, -TRAFFIC_WINDOW:], axis=1)
    return {
        iid: float(x) for iid, x in zip(mf.ids, level, strict=True) if np.isfinite(x) and x > floor
    }


def _sunset_soon(
    integration: Integration, today: date, warnings_at: list[int]
) -> tuple[Severity, int] | None:
    """(severity, days left) once a deprecated integration is within the first warning's days of
    its sunset: info from the first threshold (30 days), warning from the last (7 days)."""
    if integration.lifecycle is not Lifecycle.DEPRECATED or integration.sunset is None:
        return None
    days = (integration.sunset - today).days
    if days < 0 or days > warnings_at[0]:
        return None
    return (Severity.WARNING if days <= warnings_at[-1] else Severity.INFO), days


def _traffic_sources(frame: DetectionFrame, integration_id: str) -> list[str]:
    """The collector sources whose throughput series of this integration still report."""
    return sorted(
        {
            s.source
            for s in frame.series
            if s.integration_id == integration_id
            and s.metric == Metric.THROUGHPUT.value
            and s.source is not None
        }
    )


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """Inventory findings as of `as_of`'s date."""
    today = as_of.date()
    traffic = _traffic(frame, settings.hygiene.traffic_floor)
    findings: list[Finding] = []

    def add(
        iid: str,
        detector: str,
        severity: Severity,
        summary: str,
        onset: date | None = None,
        **evidence: object,
    ) -> None:
        began = datetime.combine(onset, time(), UTC) if onset is not None else None
        findings.append(
            finding(
                detector, iid, INVENTORY_METRIC, severity, summary, onset=began, evidence=evidence
            )
        )

    for integration in frame.inventory:
        iid = integration.id
        origin = str(frame.inventory.origin.get(iid, ""))
        if integration.lifecycle is not Lifecycle.RETIRED:
            if integration.owner is None:
                add(
                    iid,
                    "no_owner",
                    Severity.INFO,
                    "no owner in the inventory: nobody is told when it degrades",
                    file=origin,
                )
            if integration.review_overdue(today):
                due = integration.review_due()
                if due is None:
                    add(
                        iid,
                        "review_overdue",
                        Severity.INFO,
                        "never reviewed (no last_review in the inventory)",
                        file=origin,
                        cadence=format_duration(integration.review_cadence),
                    )
                else:
                    late = (today - due).days
                    add(
                        iid,
                        "review_overdue",
                        Severity.INFO,
                        f"review overdue by {late} days: last reviewed {integration.last_review}, "
                        f"every {format_duration(integration.review_cadence)}, due {due}",
                        due,
                        file=origin,
                        last_review=str(integration.last_review),
                        due=str(due),
                        days_overdue=late,
                        cadence=format_duration(integration.review_cadence),
                    )
        soon = _sunset_soon(integration, today, settings.hygiene.sunset_warnings)
        if soon is not None:
            severity, days = soon
            successor = f"; successor {integration.successor}" if integration.successor else ""
            add(
                iid,
                "sunset_soon",
                severity,
                f"sunset {integration.sunset} in {days} day{'s' if days != 1 else ''}"
                f"{successor}: move the remaining consumers ({integration.source_system})",
                sunset=str(integration.sunset),
                days_left=days,
                successor=integration.successor,
                file=origin,
            )
        if integration.past_sunset(today) and iid in traffic:
            days = (today - integration.sunset).days  # type: ignore[operator]
            sources = _traffic_sources(frame, iid)
            via = f" via source {', '.join(sources)}" if sources else ""
            successor = f"; successor {integration.successor}" if integration.successor else ""
            add(
                iid,
                "past_sunset",
                Severity.WARNING,
                f"{integration.lifecycle.value}, sunset {integration.sunset} passed {days} days ago, "
                f"still carrying {value(Metric.THROUGHPUT, traffic[iid])} (last 24 h) from "
                f"{integration.source_system}{via}{successor}",
                integration.sunset,
                sunset=str(integration.sunset),
                days_past=days,
                lifecycle=integration.lifecycle.value,
                throughput=round(traffic[iid], 4),
                source_system=integration.source_system,
                sources=sources,
                successor=integration.successor,
                file=origin,
            )
    recent = as_of - timedelta(hours=frame.hours)
    seen = {s.integration_id for s in frame.series if s.last_ts and s.last_ts >= recent}
    for iid in sorted(seen - set(frame.inventory.integrations)):
        add(
            iid,
            "not_inventoried",
            Severity.INFO,
            "sends data but is in no inventory file: no owner, tier or SLO known",
        )
    return findings
