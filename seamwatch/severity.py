"""Severity and its order: the one home of "critical before warning before info".

Detectors emit it, alerts route and group by it, reports and the app sort by it, and the store's
SQL orders by it through the `severity_rank(s)` macro, which is generated from this enum when the
store migrates (never written a second time by hand).
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum


class Severity(StrEnum):
    """How urgent a finding is; `v_health` maps critical to failing and warning to degrading."""

    CRITICAL = "critical"
    WARNING = "warning"
    INFO = "info"

    @property
    def rank(self) -> int:
        """Order for sorting: the higher, the worse (critical 3, warning 2, info 1)."""
        return _RANK[self.value]


SEVERITIES: tuple[Severity, ...] = tuple(Severity)
"""Every severity, worst first (as pickers and filters list them)."""

_RANK = {s.value: len(SEVERITIES) - i for i, s in enumerate(SEVERITIES)}


def severity_rank(value: str | None) -> int:
    """The rank of a severity given as text: critical 3, warning 2, info 1; unknown or None 0."""
    return _RANK.get(value or "", 0)


def worst(values: Iterable[str], default: str = Severity.INFO.value) -> str:
    """The worst severity among `values` (`default` when there are none)."""
    return max(values, key=severity_rank, default=default)


def worst_first(value: str | None) -> int:
    """A sort key that puts the worst severity first (unknown ones last)."""
    return -severity_rank(value)


RANK_MACRO = "severity_rank"
"""The SQL macro the store defines from this enum; views and queries order by it."""


def rank_macro_sql() -> str:
    """`CREATE OR REPLACE MACRO severity_rank(s)`: the same ranks as `severity_rank`, in SQL."""
    cases = " ".join(f"WHEN '{s.value}' THEN {s.rank}" for s in SEVERITIES)
    return f"CREATE OR REPLACE MACRO {RANK_MACRO}(s) AS CASE s {cases} ELSE 0 END"
