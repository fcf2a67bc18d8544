"""The detectors stage as the roots see it: `[detectors]`, its ids held against the inventory,
and detection every `[detectors] interval`."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from detectors.engine import run_detection
from detectors.settings import DetectorSettings, check_detectors, load_detector_settings
from seamwatch.config import Settings
from seamwatch.errors import ConfigError
from seamwatch.inventory import Inventory
from seamwatch.stage import Job, Runtime, Stage, problems_from

FIRST_RUN_AFTER = timedelta(seconds=20)
"""The first detection after start: once the first collection cycle has landed, so a fresh
`make up` shows findings within a minute."""


def check(settings: Settings, inventory: Inventory) -> list[ConfigError]:
    """A warning for each `[detectors.integrations.ID]` whose id is in no inventory file."""
    if not STAGE.sections_valid(settings):
        return []  # the section's own problems are reported with it
    return problems_from(check_detectors, settings, inventory)


def jobs(runtime: Runtime) -> list[Job]:
    """Detection every `[detectors] interval`, the first run shortly after start."""
    every = load_detector_settings(runtime.settings).interval
    metrics = runtime.metrics

    def detect() -> object:
        evaluation, changes = run_detection(runtime.store, runtime.inventory(), runtime.settings)
        if metrics is not None:
            metrics.findings(Counter(f.severity.value for f in evaluation.findings))
            metrics.fleet.refresh(runtime.store)  # health changes with detection: show it at once
        return changes

    first = min(every, FIRST_RUN_AFTER)
    return [Job("detect", detect, every, run_now=False, first_run_after=first)]


STAGE = Stage(
    name="detectors",
    sections={"detectors": DetectorSettings},
    check=check,
    jobs=jobs,
    commands=("detect",),
)
