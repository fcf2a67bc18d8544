"""detectors stage (see DESIGN.md): one module per detector, pure functions
`(frame, settings, as_of) -> list[Finding]`, registered here by one line each.

A line declares the detector as data (`detectors.spec.DetectorSpec`): its function and options
model by dotted path (imported only when it runs), the detector names and kind of the findings
it emits and the metrics they are about. Nothing else names a detector: the lifecycle, health
and alert grouping read the declaration or the kind the findings carry.
"""

from __future__ import annotations

from detectors.spec import WHOLE, Detector, DetectorSpec
from seamwatch.finding_kind import FindingKind
from seamwatch.metrics import LATENCY_METRICS as LATENCY
from seamwatch.metrics import Metric

DEGRADATION = FindingKind.DEGRADATION
STALE = FindingKind.STALE
HOUSEKEEPING = FindingKind.HOUSEKEEPING
HOURLY = (*LATENCY, Metric.THROUGHPUT, Metric.ERROR_RATE)
JOBS = ("job_missed", "job_late", "job_failed", "job_overrun", "job_duration", "job_off_schedule")
HYGIENE = ("no_owner", "review_overdue", "past_sunset", "not_inventoried", "sunset_soon")
CONTRACTS = ("contract_breaking", "contract_unreachable", "contract_invalid")

_SPECS = [
    DetectorSpec("week_over_week", "detectors.week_over_week:detect", DEGRADATION, HOURLY, shape="any"),
    DetectorSpec("trend", "detectors.trend:detect", DEGRADATION, HOURLY, options="detectors.trend:TrendOptions", shape="ramp"),
    DetectorSpec("level_shift", "detectors.level_shift:detect", DEGRADATION, (*LATENCY, Metric.ERROR_RATE), options="detectors.level_shift:LevelShiftOptions", shape="step"),
    DetectorSpec("slo_burn", "detectors.slo_burn:detect", DEGRADATION, (Metric.ERROR_RATE,), options="detectors.slo_burn:SloBurnOptions"),
    DetectorSpec("throughput_drop", "detectors.throughput_drop:detect", DEGRADATION, (Metric.THROUGHPUT,), options="detectors.throughput_drop:ThroughputDropOptions", shape="step"),
    DetectorSpec("dlq_growth", "detectors.dlq_growth:detect", DEGRADATION, (Metric.DLQ_DEPTH,), options="detectors.dlq_growth:DlqOptions"),
    DetectorSpec("no_data", "detectors.no_data:detect", STALE, (WHOLE, *Metric), options="detectors.no_data:NoDataOptions"),
    DetectorSpec("hygiene", "detectors.hygiene:detect", HOUSEKEEPING, (WHOLE,), HYGIENE, options="detectors.hygiene:HygieneOptions"),
    DetectorSpec("cert_expiry", "detectors.cert_expiry:detect", DEGRADATION, (Metric.CERT_DAYS_LEFT, Metric.CERT_VALID), options="detectors.cert_expiry:CertExpiryOptions"),
    DetectorSpec("consumer_lag", "detectors.consumer_lag:detect", DEGRADATION, (Metric.BACKLOG,), options="detectors.consumer_lag:ConsumerLagOptions"),
    DetectorSpec("jobs", "detectors.jobs:detect", DEGRADATION, (WHOLE,), JOBS, options="detectors.jobs:JobOptions"),
    DetectorSpec("contracts", "detectors.contracts:detect", DEGRADATION, (WHOLE,), CONTRACTS, options="detectors.contracts:ContractOptions", on_frame=False),
]  # fmt: skip

DETECTORS: dict[str, DetectorSpec] = {spec.name: spec for spec in _SPECS}
"""Every detector by registry key, in the order evaluations run them."""


def frame_detectors() -> dict[str, DetectorSpec]:
    """The entries every evaluation runs over the frame (what `enabled`/`disabled` name)."""
    return {name: spec for name, spec in DETECTORS.items() if spec.on_frame}


def spec_emitting(detector: str) -> DetectorSpec | None:
    """The entry that declared it emits findings under this detector name."""
    for spec in DETECTORS.values():
        if detector in spec.emits:
            return spec
    return None


def kind_of(detector: str) -> FindingKind:
    """The kind of findings under this detector name (a degradation when no entry declares it)."""
    spec = spec_emitting(detector)
    return spec.kind if spec is not None else FindingKind.DEGRADATION


def emitted_names(entries: list[str]) -> list[str]:
    """The detector names the findings of these registry entries carry (what may resolve)."""
    return [name for entry in entries for name in DETECTORS[entry].emits]


__all__ = [
    "DETECTORS",
    "Detector",
    "DetectorSpec",
    "emitted_names",
    "frame_detectors",
    "kind_of",
    "spec_emitting",
]
