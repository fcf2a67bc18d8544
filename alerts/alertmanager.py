"""An existing Prometheus Alertmanager: findings posted as alerts to `/api/v2/alerts`.

Teams that already route through Alertmanager keep doing so. Alertmanager resolves an alert by
itself when it is not re-sent, so open findings are re-posted every `resend_interval` with an
`endsAt` a few intervals ahead; a resolve is a post with `endsAt` at the finding's resolve time
(at or before now). Posting the same alert twice is harmless: Alertmanager dedupes by labels.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from pydantic import SecretStr

from alerts.base import ChannelOptions, HttpChannel, Payload
from alerts.message import Group, alert_annotations, alert_labels, rfc3339
from seamwatch.durations import Duration
from seamwatch.secrets import reveal

ENDS_AHEAD = 3  # a firing alert stays firing this many resend intervals without news


class AlertmanagerOptions(ChannelOptions):
    resend_interval: Duration = timedelta(minutes=1)
    bearer_token: SecretStr | None = None


class AlertmanagerChannel(HttpChannel):
    """POST the group's findings as a list of alerts."""

    kind = "alertmanager"
    Options: ClassVar[type[ChannelOptions]] = AlertmanagerOptions
    accepts_posts = False  # Alertmanager takes alerts, not announcements

    def __init__(self, name: str, options: ChannelOptions) -> None:
        super().__init__(name, options)
        token = getattr(options, "bearer_token", None)
        if token is not None:
            reveal(token)

    def repeat_interval(self, configured: timedelta) -> timedelta:
        return getattr(self.options, "resend_interval", configured)

    def wants(self, event: str) -> bool:
        return True  # Alertmanager must hear resolves, whatever send_resolved says

    def target_url(self, payload: Payload) -> str:
        return super().target_url(payload).rstrip("/") + "/api/v2/alerts"

    def headers(self, payload: Payload, body: bytes) -> dict[str, str]:
        headers = super().headers(payload, body)
        token = getattr(self.options, "bearer_token", None)
        if token is not None:
            headers["Authorization"] = f"Bearer {reveal(token)}"
        return headers

    def render(self, group: Group) -> Payload:
        ahead = self.repeat_interval(timedelta(minutes=1)) * ENDS_AHEAD
        alerts: list[dict[str, Any]] = []
        for item in group.items:
            f = item.finding
            if item.event == "resolve":
                ends = min(f.resolved_at or group.now, group.now)
            else:
                ends = group.now + ahead
            alerts.append(
                {
                    "labels": alert_labels(f),
                    "annotations": alert_annotations(item, group.now),
                    "startsAt": rfc3339(f.began),
                    "endsAt": rfc3339(ends),
                    "generatorURL": item.dashboard_url,
                }
            )
        return Payload(alerts, group.message_id, group.title())
