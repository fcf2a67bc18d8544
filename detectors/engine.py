"""One evaluation: read the frame as of a time, run every active detector, collect findings.

`evaluate` persists nothing (it is what `seamwatch detect --as-of` and the evaluation harness
run); `run_detection` evaluates now and hands the findings to the lifecycle. A detector that
fails on unexpected data is logged and reported; the others still run.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

import duckdb

from detectors import DETECTORS, emitted_names, frame_detectors
from detectors.frame import DetectionFrame, load_frame
from detectors.lifecycle import LifecycleResult, apply_findings, history_first_seen
from detectors.settings import DetectorSettings, load_detector_settings
from detectors.shape import Kind, Shapes, metric_shapes
from detectors.types import Finding
from seamwatch.errors import StoreLocked
from seamwatch.inventory import Inventory
from seamwatch.metrics import Metric
from seamwatch.store import Store
from seamwatch.timeutil import ensure_utc, utcnow

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Evaluation:
    """The findings of one evaluation and what it looked at."""

    as_of: datetime
    findings: list[Finding]
    series: int
    ran: list[str]
    errors: dict[str, str] = field(default_factory=dict)
    seconds: dict[str, float] = field(default_factory=dict)


def run_detectors(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> Evaluation:
    """Every active detector over one frame; one detector's failure never stops the rest."""
    findings: list[Finding] = []
    ran: list[str] = []
    errors: dict[str, str] = {}
    seconds: dict[str, float] = {}
    for name, spec in frame_detectors().items():
        if not settings.active(name):
            continue
        clock = time.perf_counter()
        try:
            found, undeclared = spec.stamp(spec.function()(frame, settings, as_of))
        except Exception as exc:  # a bug on odd data must not silence every other detector
            log.exception("detector %s failed", name)
            errors[name] = f"{type(exc).__name__}: {exc}"
            continue
        if undeclared:  # kept (a real finding is not dropped), but the registry line is wrong
            log.error("detector %s %s", name, "; ".join(undeclared))
            errors[name] = "; ".join(undeclared)
        seconds[name] = time.perf_counter() - clock
        ran.append(name)
        findings.extend(
            replace(f, onset=min(f.onset or as_of, as_of), first_seen=as_of, last_seen=as_of)
            for f in found
        )  # a detector that cannot tell when it began says "when first seen"
    findings.sort(key=lambda f: (-f.severity.rank, f.integration_id, f.metric, f.detector))
    unique: dict[tuple[str, str, str], Finding] = {}
    for finding in findings:  # one finding per fingerprint: the most severe speaks
        unique.setdefault(finding.key, finding)
    return Evaluation(
        as_of, explain_once(list(unique.values()), frame), len(frame.series), ran, errors, seconds
    )


SHAPE_OF: dict[str, Kind | None] = {
    name: None if spec.shape == "any" else spec.shape
    for spec in DETECTORS.values()
    if spec.shape is not None
    for name in spec.emits
}
"""Detector names that explain how a series' level changed, and the shape each describes, as
their registry lines declare (week over week says only that it changed: it speaks when nothing
more specific does)."""


def explain_once(findings: list[Finding], frame: DetectionFrame | None = None) -> list[Finding]:
    """One explanation of a series' change: the detector whose shape fits the series better.

    A mature ramp is a trend (with its forecast), not "stepped up 153 h ago"; a step is a level
    shift, not "rising 2906%/week". When several shape detectors fire on one series, a step and
    a ramp are both fitted to it (`detectors.shape`) and the better model decides; no detector
    takes another's finding away by rank. Week over week stays only when it is alone.
    """
    by_series: dict[tuple[str, str], list[Finding]] = {}
    for finding in findings:
        if finding.detector in SHAPE_OF:
            by_series.setdefault((finding.integration_id, finding.metric), []).append(finding)
    crowded = {key: group for key, group in by_series.items() if len(group) > 1}
    if not crowded:
        return findings
    fits: dict[str, Shapes | None] = {}
    drop: set[tuple[str, str, str]] = set()
    for (iid, metric), group in crowded.items():
        if metric not in fits:
            fits[metric] = metric_shapes(frame, Metric(metric)) if frame is not None else None
        shapes = fits[metric]
        kind = ""
        mf = frame.get(Metric(metric)) if frame is not None else None
        if shapes is not None and mf is not None and iid in mf.index:
            kind = str(shapes.kind[mf.index[iid]])
        specific = [f for f in group if SHAPE_OF[f.detector] is not None]
        keep = [f for f in specific if SHAPE_OF[f.detector] == kind] or specific or group
        drop.update(f.key for f in group if f not in keep)
    return [f for f in findings if f.key not in drop]


def evaluate(
    store: Store,
    inventory: Inventory,
    settings: DetectorSettings,
    as_of: datetime,
    *,
    source_intervals: dict[str, timedelta] | None = None,
) -> Evaluation:
    """Evaluate as if it were `as_of`, using only samples up to then; persists nothing."""
    as_of = ensure_utc(as_of)
    clock = time.perf_counter()
    frame = load_frame(
        store, inventory, as_of, lookback=settings.lookback, source_intervals=source_intervals
    )
    loaded = time.perf_counter() - clock
    result = run_detectors(frame, settings, as_of)
    result.seconds["load"] = loaded
    return result


def source_intervals(app_settings: Any) -> dict[str, timedelta]:
    """Each configured source's interval by name (samples name their source)."""
    return {s.name: s.interval for s in app_settings.sources}


def evaluate_as_of(
    store: Store, inventory: Inventory, app_settings: Any, as_of: datetime
) -> Evaluation:
    """`detect --as-of`: evaluate at a past time; first_seen comes from stored history if any."""
    settings = load_detector_settings(app_settings)
    result = evaluate(
        store, inventory, settings, as_of, source_intervals=source_intervals(app_settings)
    )
    firsts = history_first_seen(store, [f.key for f in result.findings], result.as_of)
    findings = [replace(f, first_seen=firsts.get(f.key, f.first_seen)) for f in result.findings]
    return Evaluation(
        result.as_of, findings, result.series, result.ran, result.errors, result.seconds
    )


def run_detection(
    store: Store, inventory: Inventory, app_settings: Any, *, now: datetime | None = None
) -> tuple[Evaluation, LifecycleResult]:
    """Evaluate now and persist: open, update and resolve findings, record the run."""
    settings = load_detector_settings(app_settings)
    as_of = ensure_utc(now or utcnow())
    started = utcnow()
    clock = time.perf_counter()
    _rollup_dirty(store)
    rolled = time.perf_counter() - clock
    result = evaluate(
        store, inventory, settings, as_of, source_intervals=source_intervals(app_settings)
    )
    result.seconds["rollup"] = rolled
    outcome = apply_findings(
        store,
        result.findings,
        as_of,
        resolve_after=settings.resolve_after,
        detectors_ran=emitted_names(result.ran),
        started_at=started,
        series=result.series,
        error="; ".join(f"{k}: {v}" for k, v in result.errors.items()) or None,
    )
    log.info(
        "detection as of %s: %d series, %d findings (%d opened, %d updated, %d resolved)",
        as_of.isoformat(),
        result.series,
        len(result.findings),
        outcome.opened,
        outcome.updated,
        outcome.resolved,
    )
    return result, outcome


def _rollup_dirty(store: Store) -> None:
    """Roll up the ranges written since the last rollup, so the frame reads hourly aggregates.

    Only an optimisation: if the store is busy, the frame aggregates those hours from raw
    samples itself, with the same result.
    """
    if not store.exists():
        return
    try:
        store.rollup()
    except (StoreLocked, duckdb.CatalogException) as exc:
        log.info("rollup before detection skipped: %s", exc)
