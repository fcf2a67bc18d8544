"""Alert-side muting: which silence or maintenance window mutes a finding now, for the record.

Muted findings are still recorded, with notification status `silenced` and what muted them
(`silence:<id>`, `maintenance:<name>@<start>`), so nothing disappears without a trace. Silences
themselves (create, list, expire, their fields and ids) are the spine's: `seamwatch.silences`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from alerts.settings import MaintenanceWindow
from seamwatch import mutes
from seamwatch.matching import Matchable, matches
from seamwatch.silences import Silence, active_silences

__all__ = ["Muter", "active_silences"]


def window_start(window: MaintenanceWindow, now: datetime) -> datetime | None:
    """The start of the occurrence of `window` that covers `now`, or None when outside it."""
    return mutes.window_start(window.cron, window.timezone, window.duration, now)


class Muter:
    """Decides whether a finding is muted at `now`, and by what (for the record)."""

    def __init__(
        self, silences: Sequence[Silence], windows: Sequence[MaintenanceWindow], now: datetime
    ) -> None:
        self.silences = [s for s in silences if s.active(now)]
        self.windows: list[tuple[MaintenanceWindow, datetime]] = []
        for window in windows:
            start = window_start(window, now)
            if start is not None:
                self.windows.append((window, start))

    def muted_by(self, finding: Matchable) -> str | None:
        """'silence:<id>' or 'maintenance:<name>@<start>' for the first mute that matches."""
        for silence in self.silences:
            if matches(finding, silence.matchers):
                return f"silence:{silence.silence_id}"
        for window, start in self.windows:
            if matches(finding, window.match.as_matchers()):
                return f"maintenance:{window.name}@{start:%Y-%m-%dT%H:%MZ}"
        return None
