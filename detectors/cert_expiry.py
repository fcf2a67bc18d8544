"""cert_expiry: a TLS certificate that expires soon, has expired, or does not verify.

Reads what the probe source measures: `cert_days_left` (the soonest expiry of an
integration's https endpoints) and `cert_valid`. A notice at `notice` days before expiry (21 by
default), a warning at `warn` (7), critical once expired or when the certificate does not
verify. The newest 5-minute value speaks (a renewed certificate clears the finding at once).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import numpy as np
from pydantic import model_validator

from detectors.common import finding, iso
from detectors.frame import DetectionFrame, MetricFrame
from detectors.types import Finding, Severity
from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration
from seamwatch.metrics import Metric

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings

NAME = "cert_expiry"


class CertExpiryOptions(StrictModel):
    """A notice `notice` before a TLS certificate expires, a warning at `warn`; expired or not
    verifying is critical."""

    notice: Duration = timedelta(days=21)
    warn: Duration = timedelta(days=7)

    @model_validator(mode="after")
    def _warn_inside_notice(self) -> CertExpiryOptions:
        if self.warn > self.notice:
            raise ValueError("warn must not be longer than notice (the warning comes later)")
        return self


def newest(mf: MetricFrame) -> np.ndarray:
    """The newest value per row: the last 5-minute mean, else the last hourly mean."""
    out = np.full(mf.size, np.nan)
    for values in (mf.mean, mf.recent):
        ok = np.isfinite(values)
        have = ok.any(axis=1)
        last = values.shape[1] - 1 - np.argmax(ok[:, ::-1], axis=1)
        out = np.where(have, values[np.arange(mf.size), last], out)
    return out


def _invalid_since(frame: DetectionFrame, mf: MetricFrame, row: int) -> datetime | None:
    """The start of the 5-minute bucket (or hour) from which the certificate stopped verifying."""
    from detectors.frame import RECENT_BUCKET_S

    recent = mf.recent[row]
    seen = np.flatnonzero(np.isfinite(recent))
    if seen.size:
        start = seen[-1]
        for index in seen[::-1]:
            if recent[index] >= 1:
                break
            start = index
        end_bucket = int(frame.as_of.timestamp()) // RECENT_BUCKET_S
        bucket = end_bucket - recent.size + 1 + int(start)
        return datetime.fromtimestamp(bucket * RECENT_BUCKET_S, UTC)
    hours = np.flatnonzero(np.isfinite(mf.mean[row]))
    return frame.hour_start(int(hours[-1])) if hours.size else None


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """Findings for certificates inside the notice period, expired, or not verifying."""
    options = settings.cert_expiry
    findings: list[Finding] = []
    days_mf = frame.get(Metric.CERT_DAYS_LEFT)
    if days_mf is not None:
        for row, days in enumerate(newest(days_mf)):
            if not np.isfinite(days) or days > options.notice.total_seconds() / 86400:
                continue
            expires = as_of + timedelta(days=float(days))
            if days <= 0:
                severity = Severity.CRITICAL
                summary = (
                    f"TLS certificate expired {-days:.1f} days ago ({expires:%Y-%m-%d %H:%M} UTC)"
                )
                onset = expires
            else:
                severity = (
                    Severity.WARNING
                    if days <= options.warn.total_seconds() / 86400
                    else Severity.INFO
                )
                summary = (
                    f"TLS certificate expires in {days:.1f} days ({expires:%Y-%m-%d %H:%M} UTC)"
                )
                limit = options.warn if severity is Severity.WARNING else options.notice
                onset = expires - limit
            findings.append(
                finding(
                    NAME,
                    days_mf.ids[row],
                    Metric.CERT_DAYS_LEFT,
                    severity,
                    summary,
                    evidence={
                        "days_left": round(float(days), 2),
                        "expires": iso(expires),
                        "since": iso(onset),
                        "notice_days": options.notice.total_seconds() / 86400,
                        "warn_days": options.warn.total_seconds() / 86400,
                    },
                    onset=onset,
                )
            )
    valid_mf = frame.get(Metric.CERT_VALID)
    if valid_mf is not None:
        for row, valid in enumerate(newest(valid_mf)):
            if not np.isfinite(valid) or valid >= 1:
                continue
            findings.append(
                finding(
                    NAME,
                    valid_mf.ids[row],
                    Metric.CERT_VALID,
                    Severity.CRITICAL,
                    "TLS certificate does not verify (untrusted, wrong host name or expired); "
                    "clients that check certificates cannot connect",
                    evidence={"valid": False},
                    onset=_invalid_since(frame, valid_mf, row),
                )
            )
    return findings
