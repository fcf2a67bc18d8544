"""The `[detectors]` config section: schedule, hysteresis, per-detector options and thresholds.

Thresholds resolve from the most specific place that sets them: an integration's own block,
then its tier's, then the metric's, then the built-in defaults below. Each detector's own
section (`[detectors.trend]`, ...) is the options model its module defines and its registry line
names; `DetectorSettings` is composed from the registry on first use, so a new detector's
options need no edit here.
"""

from __future__ import annotations

from datetime import timedelta
from functools import cache
from typing import TYPE_CHECKING, Any

from pydantic import Field, create_model, field_validator, model_validator

from seamwatch.config import Settings, validate_section
from seamwatch.config.base import StrictModel, line_of, raise_all
from seamwatch.durations import Duration
from seamwatch.errors import ConfigWarning
from seamwatch.inventory import Inventory
from seamwatch.metrics import Metric


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


class CommonSettings(StrictModel):
    """Everything under `[detectors]` in config.toml but the detectors' own sections.

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

    @field_validator("enabled", "disabled")
    @classmethod
    def _known_detectors(cls, names: list[str] | None) -> list[str] | None:
        from detectors import frame_detectors

        known = frame_detectors()
        for name in names or []:
            if name not in known:
                raise ValueError(f"unknown detector {name!r} (known: {', '.join(known)})")
        return names

    @model_validator(mode="after")
    def _enabled_or_disabled(self) -> CommonSettings:
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


@cache
def settings_model() -> type[CommonSettings]:
    """`[detectors]` as one model: the common keys, and one section per registry entry that
    names an options model (imported here, on first use)."""
    from detectors import DETECTORS

    sections: dict[str, Any] = {}
    for name, spec in DETECTORS.items():
        model = spec.options_model()
        if model is not None:
            sections[name] = (model, Field(default_factory=model))
    return create_model(  # type: ignore[no-any-return, call-overload]
        "DetectorSettings",
        __base__=CommonSettings,
        __module__=__name__,
        __doc__=CommonSettings.__doc__,
        **sections,
    )


if TYPE_CHECKING:
    DetectorSettings = Any  # the composed model (settings_model()); its sections are dynamic
else:

    def __getattr__(name: str) -> Any:
        """`DetectorSettings` is the composed model, built when first imported by name."""
        if name == "DetectorSettings":
            return settings_model()
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def load_detector_settings(settings: Settings) -> DetectorSettings:
    """Validate `[detectors]`; errors name the file, key and line."""
    return validate_section(settings_model(), settings, "detectors")


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
