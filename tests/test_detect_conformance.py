"""One battery every registered detector passes, driven by the registry (as apprise's
AppriseURLTester drives its plugins): a detector without a case here fails, so none can skip it.

Each case builds, in memory, the inputs its detector reads: a quiet seasonal fleet (nothing to
say) and the degradation it is there to find. The battery then holds every detector to the same
rules: quiet -> no finding; degraded -> a finding under a name and on a metric its registry line
declares, with an onset, a summary with numbers and JSON-serialisable evidence; empty, NaN-only,
too-short and constant inputs -> no exception; the same input twice -> the same findings.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest

from detectors import DETECTORS, DetectorSpec, frame_detectors, spec_emitting
from detectors.contracts import detect as contracts_detect
from detectors.frame import HOUR_S, RECENT_BUCKET_S, DetectionFrame, MetricFrame, SeriesInfo
from detectors.settings import DetectorSettings
from detectors.types import Finding, Severity
from seamwatch.finding_kind import FindingKind
from seamwatch.inventory import Integration, Inventory
from seamwatch.metrics import Metric
from seamwatch.store.contracts import ContractState, SpecChange
from seamwatch.store.jobs import JobRun
from tests.detector_series import AS_OF, integration, inventory, seasonal_series

HOURS = 28 * 24
RECENT = 72  # 5-minute buckets over the last 6 hours
FIRST_HOUR = int(AS_OF.timestamp()) // HOUR_S - HOURS
HOUR_TS = (FIRST_HOUR + np.arange(HOURS)) * HOUR_S
END_BUCKET = int(AS_OF.timestamp()) // RECENT_BUCKET_S
RECENT_TS = (END_BUCKET - RECENT + 1 + np.arange(RECENT)) * RECENT_BUCKET_S
NOW = AS_OF.timestamp()
DAY = 86_400

# -- building frames in memory ----------------------------------------------------------------

BASES = {
    Metric.LATENCY_P95_MS: 200.0,
    Metric.LATENCY_P50_MS: 80.0,
    Metric.THROUGHPUT: 120.0,
    Metric.ERROR_RATE: 0.002,
    Metric.DLQ_DEPTH: 0.0,
}


@dataclass
class Scene:
    """What a frame detector reads: hourly and 5-minute values per series, inventory, runs."""

    hourly: dict[tuple[str, Metric], np.ndarray] = field(default_factory=dict)
    recent: dict[tuple[str, Metric], np.ndarray] = field(default_factory=dict)
    last_ts: dict[tuple[str, Metric], float] = field(default_factory=dict)
    inv: Inventory = field(default_factory=Inventory)
    runs: dict[str, list[JobRun]] = field(default_factory=dict)

    def add(self, iid: str, metric: Metric, hourly: np.ndarray, recent: np.ndarray) -> Scene:
        self.hourly[(iid, metric)] = np.asarray(hourly, dtype=float)
        self.recent[(iid, metric)] = np.asarray(recent, dtype=float)
        return self

    def frame(self, hours: int = HOURS) -> DetectionFrame:
        metrics: dict[Metric, MetricFrame] = {}
        for metric in Metric:
            keys = sorted(k for k in self.hourly if k[1] is metric)
            if not keys:
                continue
            level = np.stack([self.hourly[k][-hours:] for k in keys])
            recent = np.stack([self.recent[k] for k in keys])
            last = level if metric is Metric.DLQ_DEPTH else np.full_like(level, np.nan)
            count = np.where(np.isfinite(level), 60.0, 0.0)
            metrics[metric] = MetricFrame(
                metric, [k[0] for k in keys], level, level, last, count, recent
            )
        infos = [
            SeriesInfo(iid, m.value, "test", datetime.fromtimestamp(self._last(iid, m), UTC))
            for iid, m in sorted(self.hourly)
            if np.isfinite(self._last(iid, m))
        ]
        return DetectionFrame(
            AS_OF,
            FIRST_HOUR + HOURS - hours,
            hours,
            metrics,
            infos,
            self.inv,
            {"test": timedelta(minutes=1)},
            self.runs,
        )

    def _last(self, iid: str, metric: Metric) -> float:
        if (iid, metric) in self.last_ts:
            return self.last_ts[(iid, metric)]
        have = np.isfinite(self.recent[(iid, metric)]) | False
        if have.any():
            return float(RECENT_TS[np.flatnonzero(have)[-1]] + RECENT_BUCKET_S - 1)
        hours = np.flatnonzero(np.isfinite(self.hourly[(iid, metric)]))
        return float(HOUR_TS[hours[-1]] + HOUR_S - 1) if hours.size else float("nan")


def seasonal(metric: Metric, seed: int, factor: Callable[[np.ndarray], np.ndarray] | None = None):
    """A quiet seasonal series (hourly and 5-minute), times `factor(ts)` when given."""
    base = BASES[metric]
    hourly = seasonal_series(HOUR_TS, base, seed=seed, noise=0.03)
    recent = seasonal_series(RECENT_TS, base, seed=seed + 1, noise=0.03)
    if factor is not None:
        hourly, recent = hourly * factor(HOUR_TS), recent * factor(RECENT_TS)
    return hourly, recent


def quiet_fleet() -> Scene:
    """Every metric a detector reads, quiet and seasonal, on one well-kept integration."""
    scene = Scene(inv=inventory(integration("quiet", slo={"error_rate": 0.01})))
    for n, metric in enumerate(
        (Metric.LATENCY_P95_MS, Metric.LATENCY_P50_MS, Metric.THROUGHPUT, Metric.ERROR_RATE)
    ):
        scene.add("quiet", metric, *seasonal(metric, seed=10 + n))
    scene.add("quiet", Metric.DLQ_DEPTH, np.zeros(HOURS), np.zeros(RECENT))
    scene.add("quiet", Metric.CERT_DAYS_LEFT, np.full(HOURS, 90.0), np.full(RECENT, 90.0))
    scene.add("quiet", Metric.CERT_VALID, np.ones(HOURS), np.ones(RECENT))
    scene.add("quiet", Metric.BACKLOG, np.full(HOURS, 12.0), np.full(RECENT, 12.0))
    scene.add("quiet", Metric.CONSUMERS, np.full(HOURS, 2.0), np.full(RECENT, 2.0))
    scene.add("quiet", Metric.CONSUME_RATE, np.full(HOURS, 5.0), np.full(RECENT, 5.0))
    return scene


def one(iid: str, metric: Metric, hourly: np.ndarray, recent: np.ndarray, **fields) -> Scene:
    """A quiet fleet plus one degraded series on its own integration."""
    scene = quiet_fleet()
    scene.inv.integrations[iid] = integration(iid, **fields)
    return scene.add(iid, metric, hourly, recent)


def after(at: float, factor: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda ts: np.where(ts >= at, factor, 1.0)


def ramp_from(start: float, per_week: float) -> Callable[[np.ndarray], np.ndarray]:
    return lambda ts: (1 + per_week) ** (np.clip(ts - start, 0, None) / (7 * DAY))


# -- the degradation each detector is there to find ---------------------------------------------


def wow() -> Scene:
    return one("slow", Metric.LATENCY_P95_MS, *seasonal(Metric.LATENCY_P95_MS, 3, after(NOW - 7 * DAY, 1.6)))  # fmt: skip


def trend() -> Scene:
    return one("creep", Metric.LATENCY_P95_MS, *seasonal(Metric.LATENCY_P95_MS, 4, ramp_from(NOW - 10 * DAY, 0.4)))  # fmt: skip


def level_shift() -> Scene:
    return one("errs", Metric.ERROR_RATE, *seasonal(Metric.ERROR_RATE, 5, after(NOW - 2 * DAY, 10)))  # fmt: skip


def slo_burn() -> Scene:
    hourly, recent = seasonal(Metric.ERROR_RATE, 6)
    recent = np.where(RECENT_TS >= NOW - 40 * 60, 0.2, recent)
    hourly = np.where(HOUR_TS >= NOW - 3600, 0.2, hourly)
    return one("pay", Metric.ERROR_RATE, hourly, recent, slo={"error_rate": 0.01})


def throughput_drop() -> Scene:
    return one("sync", Metric.THROUGHPUT, *seasonal(Metric.THROUGHPUT, 7, after(NOW - 3 * DAY, 0.4)))  # fmt: skip


def dlq_growth() -> Scene:
    depth = np.cumsum(np.where(HOUR_TS >= NOW - 2 * DAY, 3.0, 0.0))
    return one("dlq", Metric.DLQ_DEPTH, depth, np.full(RECENT, depth[-1]), pattern="event")


def no_data() -> Scene:
    hourly, recent = seasonal(Metric.THROUGHPUT, 8)
    stopped = NOW - 3 * 3600
    scene = one(
        "stopped",
        Metric.THROUGHPUT,
        np.where(stopped >= HOUR_TS + HOUR_S, hourly, np.nan),
        np.where(stopped > RECENT_TS, recent, np.nan),
    )
    scene.last_ts[("stopped", Metric.THROUGHPUT)] = stopped
    return scene


def hygiene() -> Scene:
    """A review a year overdue (its onset is the due date; `no_owner` cannot know one)."""
    scene = quiet_fleet()
    reviewed = (AS_OF - timedelta(days=400)).date()
    scene.inv.integrations["forgotten"] = integration("forgotten", last_review=reviewed)
    return scene


def cert_expiry() -> Scene:
    return one("tls", Metric.CERT_DAYS_LEFT, np.linspace(12, 3, HOURS), np.full(RECENT, 3.0))


def consumer_lag() -> Scene:
    scene = quiet_fleet()
    scene.inv.integrations["queue"] = integration("queue", pattern="event")
    backlog = 100 + 10.0 * np.arange(RECENT)
    scene.add("queue", Metric.BACKLOG, np.full(HOURS, 100.0), backlog)
    scene.add("queue", Metric.CONSUMERS, np.full(HOURS, 1.0), np.where(RECENT_TS >= NOW - 3600, 0.0, 1.0))  # fmt: skip
    scene.add("queue", Metric.CONSUME_RATE, np.full(HOURS, 1.0), np.where(RECENT_TS >= NOW - 3600, 0.0, 1.0))  # fmt: skip
    return scene


JOB = {"cron": "30 2 * * *", "timezone": "UTC", "grace": "30m"}


def job(iid: str) -> Integration:
    return integration(iid, pattern="batch", schedule=JOB)


def jobs_quiet() -> Scene:
    scene = quiet_fleet()
    scene.inv.integrations["nightly"] = job("nightly")
    day = AS_OF.replace(hour=2, minute=31)
    scene.runs["nightly"] = [
        JobRun(
            "nightly",
            day - timedelta(days=d),
            day - timedelta(days=d) + timedelta(minutes=20),
            "success",
            "ping",
        )
        for d in range(14, -1, -1)
    ]
    return scene


def jobs_missed() -> Scene:
    scene = jobs_quiet()
    scene.runs["nightly"] = scene.runs["nightly"][:-1]  # nothing since yesterday's run
    return scene


# -- contracts: their own input (stored contract state), the same rules ------------------------

SPEC = "https://example.test/openapi.json"


def contract_state(changes: list[SpecChange], status: str = "ok") -> list[ContractState]:
    changed = AS_OF - timedelta(days=2)
    return [
        ContractState(
            "api", status, None, SPEC, AS_OF - timedelta(hours=1), 2, "2.0", "1.0", changed, changes
        )
    ]


def contracts_inventory() -> Inventory:
    return inventory(integration("api", contract={"spec": SPEC}))


@dataclass(frozen=True)
class Case:
    """How the battery feeds one registry entry: its quiet and degraded inputs, and its call."""

    quiet: Callable[[], object]
    degraded: Callable[[], object]
    degraded_severity: str | None = None
    call: Callable[[DetectorSpec, object, DetectorSettings], list[Finding]] | None = None
    odd: Callable[[], list[object]] | None = None


def on_frame(spec: DetectorSpec, scene: object, settings: DetectorSettings) -> list[Finding]:
    frame = scene.frame() if isinstance(scene, Scene) else scene
    assert isinstance(frame, DetectionFrame)
    return spec.function()(frame, settings, AS_OF)


def on_contracts(spec: DetectorSpec, states: object, settings: DetectorSettings) -> list[Finding]:
    assert spec.name == "contracts"
    return contracts_detect(
        states,  # type: ignore[arg-type]
        contracts_inventory(),
        AS_OF,
        breaking_open_for=settings.contracts.breaking_open_for,
    )


def odd_frames() -> list[object]:
    """Empty, NaN-only, too-short and constant frames (every metric, every detector)."""
    empty = Scene(inv=quiet_fleet().inv).frame()
    nan = quiet_fleet()
    for key in nan.hourly:
        nan.hourly[key] = np.full(HOURS, np.nan)
        nan.recent[key] = np.full(RECENT, np.nan)
    constant = quiet_fleet()
    for key in constant.hourly:
        constant.hourly[key] = np.full(HOURS, 7.0)
        constant.recent[key] = np.full(RECENT, 7.0)
    return [empty, nan.frame(), quiet_fleet().frame(hours=30), quiet_fleet().frame(hours=1), constant.frame()]  # fmt: skip


def odd_contracts() -> list[object]:
    return [[], contract_state([], status="ok"), contract_state([], status="unreachable")]


CASES: dict[str, Case] = {
    "week_over_week": Case(quiet_fleet, wow),
    "trend": Case(quiet_fleet, trend),
    "level_shift": Case(quiet_fleet, level_shift),
    "slo_burn": Case(quiet_fleet, slo_burn, "critical"),
    "throughput_drop": Case(quiet_fleet, throughput_drop),
    "dlq_growth": Case(quiet_fleet, dlq_growth),
    "no_data": Case(quiet_fleet, no_data),
    "hygiene": Case(quiet_fleet, hygiene),
    "cert_expiry": Case(quiet_fleet, cert_expiry, "warning"),
    "consumer_lag": Case(quiet_fleet, consumer_lag, "critical"),
    "jobs": Case(jobs_quiet, jobs_missed, "critical"),
    "contracts": Case(
        lambda: contract_state([SpecChange(False, "added", "/b", "path /b added")]),
        lambda: contract_state([SpecChange(True, "removed", "/a", "path /a removed")]),
        call=on_contracts,
        odd=odd_contracts,
    ),
}


def run(name: str, inputs: object) -> list[Finding]:
    case, spec = CASES[name], DETECTORS[name]
    return (case.call or on_frame)(spec, inputs, DetectorSettings())


# -- the battery ------------------------------------------------------------------------------


def test_every_registered_detector_has_a_battery_case() -> None:
    assert set(CASES) == set(DETECTORS), "add a Case for each new registry entry"


@pytest.mark.parametrize("name", list(DETECTORS))
def test_quiet_seasonal_inputs_give_no_finding(name: str) -> None:
    assert run(name, CASES[name].quiet()) == []


@pytest.mark.parametrize("name", list(DETECTORS))
def test_the_declared_degradation_gives_a_declared_finding_with_onset_numbers_and_evidence(
    name: str,
) -> None:
    spec = DETECTORS[name]
    found = run(name, CASES[name].degraded())
    assert found, f"{name} missed the degradation it is there to find"
    stamped, undeclared = spec.stamp(found)
    assert undeclared == []
    for finding in stamped:
        assert finding.detector in spec.emits
        assert spec_emitting(finding.detector) is spec
        assert finding.metric in spec.metrics
        assert finding.kind is spec.kind
        assert finding.onset is not None and finding.onset <= AS_OF, finding
        assert finding.onset.tzinfo is not None
        assert re.search(r"\d", finding.summary), finding.summary
        json.dumps(finding.evidence, allow_nan=False)  # plain JSON values, no NaN
    if CASES[name].degraded_severity:
        assert {f.severity.value for f in found} == {CASES[name].degraded_severity}


@pytest.mark.parametrize("name", list(DETECTORS))
def test_empty_nan_short_and_constant_inputs_never_raise(name: str) -> None:
    case = CASES[name]
    for inputs in (case.odd or odd_frames)():
        found = run(name, inputs)
        assert isinstance(found, list)
        for finding in found:  # whatever a detector says on odd data is still well formed
            json.dumps(finding.evidence, allow_nan=False)


@pytest.mark.parametrize("name", list(DETECTORS))
def test_the_same_inputs_give_the_same_findings(name: str) -> None:
    first = run(name, CASES[name].degraded())
    assert run(name, CASES[name].degraded()) == first


def test_every_emitted_name_belongs_to_one_entry_and_every_kind_is_known() -> None:
    names = [n for spec in DETECTORS.values() for n in spec.emits]
    assert len(names) == len(set(names)), "two entries emit the same detector name"
    assert {spec.kind for spec in DETECTORS.values()} <= set(FindingKind)


def test_each_entrys_options_model_is_its_config_section() -> None:
    """`[detectors.<name>]` is validated by the model the registry line names."""
    sections = {
        name: info.annotation
        for name, info in DetectorSettings.model_fields.items()
        if isinstance(info.annotation, type) and name in DETECTORS
    }
    declared = {n: s.options_model() for n, s in DETECTORS.items() if s.options}
    assert sections == declared


def test_enabled_and_disabled_name_the_entries_evaluations_run() -> None:
    assert set(frame_detectors()) == {n for n, s in DETECTORS.items() if s.on_frame}
    with pytest.raises(ValueError, match="unknown detector 'contracts'"):
        DetectorSettings(enabled=["contracts"])


def test_a_finding_under_an_undeclared_name_is_reported_not_lost() -> None:
    spec = DETECTORS["trend"]
    odd = Finding("x", "latency_p95_ms", "trend_v2", Severity.WARNING, "p95 latency up 20%")
    stamped, undeclared = spec.stamp([odd])
    assert stamped == [replace(odd, kind=spec.kind)]
    assert undeclared == ["emitted undeclared detector name 'trend_v2'"]
