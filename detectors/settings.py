"""The `[detectors]` config section: schedule, hysteresis, per-detector options and thresholds.

Thresholds resolve from the most specific place that sets them: an integration's own block,
then its tier's, then the metric's, then the built-in defaults below.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, Literal

from pydantic import Field, StrictBool, field_validator, model_validator

from seamwatch.config import Settings, validate_section
from seamwatch.config.base import StrictModel, line_of, raise_all
from seamwatch.durations import Duration
from seamwatch.errors import ConfigWarning
from seamwatch.inventory import Inventory
from seamwatch.metrics import Metric
from seamwatch.severity import SEVERITIES


class Thresholds(StrictModel):
    """When a change matters for one metric; None means "inherit from the next level up".

    change: relative change a person cares about (0.2 = 20%): a rise for latency and error rate,
      a fall for throughput (week_over_week, level_shift, throughput_drop).
    min_delta: the absolute change that must come with it, in the metric's unit (an error rate
      going from 0.01% to 0.02% doubles but matters to nobody).
    trend_per_week: the smallest drift per week the trend detector reports (0.05 = 5%/week).
    alpha: significance level of the tests.
    """

    change: float | None = Field(default=None, gt=0)
    min_delta: float | None = Field(default=None, ge=0)
    trend_per_week: float | None = Field(default=None, gt=0)
    alpha: float | None = Field(default=None, gt=0, lt=0.5)

    def over(self, base: Thresholds) -> Thresholds:
        """These thresholds with unset fields taken from `base`."""
        mine = self.model_dump(exclude_none=True)
        return base.model_copy(update=mine)


_LATENCY = Thresholds(change=0.20, min_delta=5.0, trend_per_week=0.08, alpha=0.01)
DEFAULT_THRESHOLDS: dict[Metric, Thresholds] = {
    Metric.LATENCY_P50_MS: _LATENCY,
    Metric.LATENCY_P95_MS: _LATENCY,
    Metric.LATENCY_P99_MS: _LATENCY,
    Metric.THROUGHPUT: Thresholds(change=0.30, min_delta=0.0, trend_per_week=0.10, alpha=0.01),
    Metric.ERROR_RATE: Thresholds(change=1.0, min_delta=0.002, trend_per_week=0.25, alpha=0.01),
    Metric.DLQ_DEPTH: Thresholds(change=1.0, min_delta=10.0, trend_per_week=0.5, alpha=0.01),
    Metric.BACKLOG: Thresholds(change=1.0, min_delta=10.0, trend_per_week=0.5, alpha=0.01),
    Metric.CONSUMERS: Thresholds(change=0.5, min_delta=1.0, trend_per_week=0.5, alpha=0.01),
    Metric.CONSUME_RATE: Thresholds(change=0.30, min_delta=0.0, trend_per_week=0.10, alpha=0.01),
    Metric.CERT_DAYS_LEFT: Thresholds(change=1.0, min_delta=1.0, trend_per_week=1.0, alpha=0.01),
    Metric.CERT_VALID: Thresholds(change=1.0, min_delta=1.0, trend_per_week=1.0, alpha=0.01),
}
"""Built-in defaults: latency +20%, throughput -30%, error rate doubled and +0.2 points."""

MetricThresholds = dict[Metric, Thresholds]


class TrendOptions(StrictModel):
    """Mann-Kendall (Hamed-Rao corrected) on the deseasonalised series of the last `window`.

    A young drift is caught earlier by the `early` path: a matched filter for a ramp that began
    up to `early_window` ago, in `bucket` means, calibrated on the series' own weeks before
    (their spread and autocorrelation); it fires at `early_z` sigmas and the configured rate.
    Either way the drift must also have accrued: the level of the last `accrued_window` at least
    `min_accrued` beyond the level of the 14 days before it (real series wander for days; a
    slope alone is no degradation while the last days sit where they usually do).
    """

    window: Duration = timedelta(days=10)
    bucket: Duration = timedelta(hours=4)
    correction: Literal["hamed-rao", "none"] = "hamed-rao"
    early: StrictBool = True
    early_z: float = Field(default=4.1, gt=0)
    early_window: Duration = timedelta(days=7)
    min_accrued: float = Field(default=0.10, ge=0)
    accrued_window: Duration = timedelta(hours=72)


class LevelShiftOptions(StrictModel):
    """A lasting step in the last `window`, at least `min_duration` old (longer than the usual
    regimes of a few hours), `min_z` robust sigmas."""

    window: Duration = timedelta(days=7)
    min_duration: Duration = timedelta(hours=12)
    min_z: float = Field(default=6.0, gt=0)


class ThroughputDropOptions(StrictModel):
    """The last `window` against the same hours of up to `weeks` previous weeks."""

    window: Duration = timedelta(hours=24)
    weeks: int = Field(default=3, ge=1, le=8)


class DlqOptions(StrictModel):
    """A DLQ that grew by at least min_delta (thresholds) over `window` without draining."""

    window: Duration = timedelta(hours=12)
    stuck_after: Duration = timedelta(hours=24)
    drain_tolerance: float = Field(default=0.15, ge=0, lt=1)


class ConsumerLagOptions(StrictModel):
    """The sliding window of 5-minute observations a queue is judged over (at most 6h)."""

    window: Duration = timedelta(minutes=30)
    min_points: int = Field(default=4, ge=2, le=72)

    @field_validator("window")
    @classmethod
    def _inside_recent(cls, value: timedelta) -> timedelta:
        if not timedelta(minutes=10) <= value <= timedelta(hours=6):
            raise ValueError("window must be between 10m and 6h (5-minute observations)")
        return value


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


class NoDataOptions(StrictModel):
    """Stale when the newest sample is older than `multiple` source intervals (and min_age)."""

    multiple: float = Field(default=5.0, ge=1)
    min_age: Duration = timedelta(minutes=10)
    default_interval: Duration = timedelta(minutes=1)


class BurnWindow(StrictModel):
    """One SRE-workbook alert: `budget` of the error budget spent in `long`, confirmed by `short`."""

    long: Duration
    short: Duration
    budget: float = Field(gt=0, le=1)
    severity: str = Field(default="critical", pattern=f"^({'|'.join(SEVERITIES)})$")


class SloBurnOptions(StrictModel):
    """Multi-window multi-burn-rate alerts on the error-rate SLO (defaults: the SRE workbook)."""

    windows: list[BurnWindow] = Field(
        default_factory=lambda: [
            BurnWindow(long=timedelta(hours=1), short=timedelta(minutes=5), budget=0.02),
            BurnWindow(long=timedelta(hours=6), short=timedelta(minutes=30), budget=0.05),
            BurnWindow(
                long=timedelta(days=3), short=timedelta(hours=6), budget=0.10, severity="warning"
            ),
        ]
    )


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


class ContractOptions(StrictModel):
    """Contract findings (detectors/contracts.py): how long a breaking change stays open."""

    breaking_open_for: Duration = timedelta(days=14)


class JobOptions(StrictModel):
    """Scheduled jobs (detectors/jobs.py): how early a run may start and still count for its
    cron time, and when a run's duration is unusual against the job's own recent runs (a
    robust z-score on the median and MAD of the last `runs`, and a ratio to the median)."""

    early: Duration = timedelta(minutes=5)
    runs: int = Field(default=10, ge=3, le=100)
    min_runs: int = Field(default=5, ge=3)
    duration_ratio: float = Field(default=2.0, gt=1)
    duration_z: float = Field(default=4.0, gt=0)
    min_change: Duration = timedelta(minutes=1)


class DetectorSettings(StrictModel):
    """Everything under `[detectors]` in config.toml.

    `enabled` (only these run) and `disabled` (all but these run) are alternatives: set together
    they are an error, since a name in both contradicts itself and a name only in `disabled` does
    nothing. `integrations` keys are integration ids; one in no inventory file is probably a typo
    (`seamwatch check` warns) but stays valid, for an integration collected before it is inventoried.
    """

    interval: Duration = timedelta(minutes=5)
    lookback: Duration = timedelta(days=28)
    resolve_after: int = Field(default=3, ge=1, description="clear evaluations before resolving")
    enabled: list[str] | None = None
    disabled: list[str] = Field(default_factory=list)
    metrics: MetricThresholds = Field(default_factory=dict)
    tiers: dict[int, MetricThresholds] = Field(default_factory=dict)
    integrations: dict[str, MetricThresholds] = Field(default_factory=dict)
    trend: TrendOptions = Field(default_factory=TrendOptions)
    level_shift: LevelShiftOptions = Field(default_factory=LevelShiftOptions)
    throughput_drop: ThroughputDropOptions = Field(default_factory=ThroughputDropOptions)
    dlq_growth: DlqOptions = Field(default_factory=DlqOptions)
    no_data: NoDataOptions = Field(default_factory=NoDataOptions)
    slo_burn: SloBurnOptions = Field(default_factory=SloBurnOptions)
    hygiene: HygieneOptions = Field(default_factory=HygieneOptions)
    cert_expiry: CertExpiryOptions = Field(default_factory=CertExpiryOptions)
    consumer_lag: ConsumerLagOptions = Field(default_factory=ConsumerLagOptions)
    contracts: ContractOptions = Field(default_factory=ContractOptions)
    jobs: JobOptions = Field(default_factory=JobOptions)

    @field_validator("enabled", "disabled")
    @classmethod
    def _known_detectors(cls, names: list[str] | None) -> list[str] | None:
        from detectors import DETECTORS

        for name in names or []:
            if name not in DETECTORS:
                raise ValueError(f"unknown detector {name!r} (known: {', '.join(DETECTORS)})")
        return names

    @model_validator(mode="after")
    def _enabled_or_disabled(self) -> DetectorSettings:
        if self.enabled is not None and self.disabled:
            raise ValueError(
                "set either enabled (only these detectors run) or disabled (all but these), not both"
            )
        return self

    @field_validator("tiers")
    @classmethod
    def _tiers_1_to_4(cls, tiers: dict[int, Any]) -> dict[int, Any]:
        for tier in tiers:
            if not 1 <= tier <= 4:
                raise ValueError(f"tier {tier} does not exist (tiers are 1..4)")
        return tiers

    @field_validator("lookback")
    @classmethod
    def _lookback_two_weeks(cls, value: timedelta) -> timedelta:
        if value < timedelta(days=14):
            raise ValueError("lookback must be at least 14d (week over week needs two weeks)")
        return value

    def active(self, name: str) -> bool:
        """Whether the detector `name` runs."""
        return (self.enabled is None or name in self.enabled) and name not in self.disabled

    def thresholds(self, metric: Metric | str, tier: int | None, integration_id: str) -> Thresholds:
        """The thresholds for one series, most specific setting first."""
        metric = Metric(metric)
        result = DEFAULT_THRESHOLDS[metric]
        for layer in (
            self.metrics,
            self.tiers.get(tier, {}) if tier is not None else {},
            self.integrations.get(integration_id, {}),
        ):
            if metric in layer:
                result = layer[metric].over(result)
        return result


def load_detector_settings(settings: Settings) -> DetectorSettings:
    """Validate `[detectors]`; errors name the file, key and line."""
    return validate_section(DetectorSettings, settings, "detectors")


def check_detectors(settings: Settings, inventory: Inventory) -> None:
    """`seamwatch check` hook: the section, and a warning for each `[detectors.integrations.ID]`
    whose id is in no inventory file (the thresholds apply only to a series of that id)."""
    detectors = load_detector_settings(settings)
    path = settings.config_path
    text = path.read_text(encoding="utf-8") if path and path.exists() else ""
    raise_all(
        [
            ConfigWarning(
                f"{integration_id!r} is in no inventory file; these thresholds apply only to "
                "series collected under that id",
                path=path,
                key=f"detectors.integrations.{integration_id}",
                line=line_of(text, ("detectors", "integrations", integration_id)),
            )
            for integration_id in detectors.integrations
            if integration_id not in inventory
        ]
    )
