"""The stages the roots wire together, as dotted paths imported on first use (`seamwatch --help`
imports none). A new stage is one `<stage>/stage.py` declaring `STAGE` plus one line here."""

from __future__ import annotations

from functools import cache

from seamwatch.lazy import import_object
from seamwatch.stage import Stage

STAGES: list[str] = [
    "collectors.stage:STAGE",
    "detectors.stage:STAGE",
    "alerts.stage:STAGE",
    "reports.stage:STAGE",
    "app.stage:STAGE",
]


@cache
def load_stages() -> tuple[Stage, ...]:
    """Every stage, in pipeline order."""
    return tuple(import_object(path) for path in STAGES)
