"""Route: which channels hear about a finding, with which grouping and repeat settings. Pure.

Order (README, Alerts): the inventory's `chat_route` (unless `[alerts] chat_route = "ignore"`;
with "override" it is the only target), then `[[alerts.routes]]` in order (the first match wins
unless `continue = true`), then `[alerts.default]` when nothing matched.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import timedelta

from alerts.settings import AlertSettings, GroupField
from seamwatch.matching import Matchable, matches


@dataclass(frozen=True)
class RouteParams:
    """What a matching route says about grouping and repeats on one channel."""

    route: str
    group_wait: timedelta
    repeat_interval: timedelta
    group_by: tuple[GroupField, ...]


class Router:
    """The routes of one `[alerts]` section, with their matchers built once (not per finding)."""

    def __init__(self, alerts: AlertSettings, channels: Collection[str]) -> None:
        self.alerts = alerts
        self.channels = frozenset(channels)
        self.routes = [
            (route.match.as_matchers(), route, self.params(route.name or f"routes[{i}]", route))
            for i, route in enumerate(alerts.routes)
        ]
        self.default = self.params("default", alerts.default)

    def params(self, name: str, route: object | None = None) -> RouteParams:
        """A route's settings, each falling back to the section's."""
        a = self.alerts
        return RouteParams(
            name,
            getattr(route, "group_wait", None) or a.group_wait,
            getattr(route, "repeat_interval", None) or a.repeat_interval,
            tuple(getattr(route, "group_by", None) or a.group_by),
        )

    def targets(self, finding: Matchable, chat_route: str | None) -> dict[str, RouteParams]:
        """Channel -> route parameters for a finding: chat_route, routes in order, default."""
        a = self.alerts
        out: dict[str, RouteParams] = {}
        if a.chat_route != "ignore" and chat_route in self.channels:
            out[chat_route] = self.params(f"chat_route:{chat_route}")  # type: ignore[index]
            if a.chat_route == "override":
                return out
        for matchers, route, params in self.routes:
            if matches(finding, matchers):
                for name in route.channels:
                    out.setdefault(name, params)
                if not route.continue_:
                    break
        if not out:
            out = dict.fromkeys(a.default.channels, self.default)
        return out
