"""A registry entry: what a detector is, as data, imported only when it runs.

Each detector module is named once, in `detectors.DETECTORS`, by a `DetectorSpec`: the dotted
path of its function, the detector names its findings carry (`emits`), their kind (which
health and alert grouping key on), the metrics they are about and its options model. The
lifecycle resolves exactly what an entry declared it emits; the conformance battery
(`tests/test_detect_conformance.py`) holds every entry to its declaration.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from functools import cache
from typing import TYPE_CHECKING, Any, Literal

from detectors.types import INVENTORY_METRIC, Finding
from seamwatch.finding_kind import FindingKind

if TYPE_CHECKING:
    from detectors.frame import DetectionFrame
    from detectors.settings import DetectorSettings

Detector = Callable[["DetectionFrame", "DetectorSettings", datetime], list[Finding]]

WHOLE = INVENTORY_METRIC
"""In `metrics`: findings about the integration as a whole (hygiene, jobs, no samples at all)."""


@cache
def load(path: str) -> Any:
    """The object at a dotted path `package.module:name`, imported on first use."""
    module, _, name = path.partition(":")
    return getattr(importlib.import_module(module), name)


@dataclass(frozen=True)
class DetectorSpec:
    """One detector, declared: name, function, what it emits and on which metrics, options.

    name: the registry key, used by `[detectors] enabled/disabled` and as the default emitted name.
    detect: `module:function`, a pure `(frame, settings, as_of) -> list[Finding]` (for entries run
      on the frame; see `on_frame`).
    kind: the kind of every finding it emits (`seamwatch.finding_kind`).
    emits: the detector names its findings carry (default: its own name); the lifecycle resolves
      these when the entry ran and did not report them again.
    metrics: the metrics its findings are about (`WHOLE` for the integration as a whole).
    options: `module:Model` of its `[detectors.<name>]` section, if it has one.
    on_frame: run by every evaluation over the detection frame; False for an entry with its own
      job and inputs (contracts), which `enabled`/`disabled` do not name.
    shape: for detectors that explain how a series' level changed, the shape they describe
      ("step", "ramp", or "any" for one that says only that it changed); when several fire on
      one series, the better fitting shape speaks (`detectors.engine.explain_once`).
    """

    name: str
    detect: str
    kind: FindingKind
    metrics: tuple[str, ...]
    emits: tuple[str, ...] = field(default=())
    options: str | None = None
    on_frame: bool = True
    shape: Literal["step", "ramp", "any"] | None = None

    def __post_init__(self) -> None:
        if not self.emits:
            object.__setattr__(self, "emits", (self.name,))

    def function(self) -> Detector:
        """The detector function (imported on first use)."""
        return load(self.detect)  # type: ignore[no-any-return]

    def options_model(self) -> type | None:
        """The options model of its config section, if any (imported on first use)."""
        return load(self.options) if self.options else None

    def stamp(self, findings: Iterable[Finding]) -> tuple[list[Finding], list[str]]:
        """The findings with this entry's kind, and a complaint per name or metric it did not
        declare (a finding under an undeclared name would never resolve)."""
        out: list[Finding] = []
        wrong: set[str] = set()
        for finding in findings:
            if finding.detector not in self.emits:
                wrong.add(f"emitted undeclared detector name {finding.detector!r}")
            if finding.metric not in self.metrics:
                wrong.add(f"emitted a finding on undeclared metric {finding.metric!r}")
            out.append(replace(finding, kind=self.kind))
        return out, sorted(wrong)
