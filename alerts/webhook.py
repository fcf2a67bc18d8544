"""A generic JSON webhook: the Prometheus Alertmanager webhook payload, version 4.

Any receiver written for Alertmanager understands it. With `secret` set, the body is signed
with HMAC-SHA256 and the signature sent as `X-Seamwatch-Signature: sha256=<hex>`; every request
carries `Idempotency-Key: <message id>` so a receiver can drop the one possible re-send after a
crash (see README, Alerts, guarantees).
"""

from __future__ import annotations

import hashlib
import hmac
from typing import Any, ClassVar

from pydantic import Field, SecretStr

from alerts.base import ChannelOptions, HttpChannel, Payload
from alerts.message import Group, alert_annotations, alert_labels, rfc3339
from seamwatch.secrets import reveal

SIGNATURE_HEADER = "X-Seamwatch-Signature"


class WebhookOptions(ChannelOptions):
    secret: SecretStr | None = None
    signature_header: str = SIGNATURE_HEADER
    max_alerts: int = Field(default=0, ge=0)  # 0: no limit; else truncatedAlerts counts the rest
    headers: dict[str, str] = Field(default_factory=dict)


def sign(secret: str, body: bytes) -> str:
    """The signature header value for a body: sha256=<hex HMAC-SHA256>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def common(dicts: list[dict[str, str]]) -> dict[str, str]:
    """Key/value pairs every dict has (Alertmanager's commonLabels/commonAnnotations)."""
    if not dicts:
        return {}
    first = dicts[0]
    return {k: v for k, v in first.items() if all(d.get(k) == v for d in dicts[1:])}


class WebhookChannel(HttpChannel):
    """A JSON POST in Alertmanager's webhook format, optionally HMAC-signed."""

    kind = "webhook"
    Options: ClassVar[type[ChannelOptions]] = WebhookOptions

    def __init__(self, name: str, options: ChannelOptions) -> None:
        super().__init__(name, options)
        secret = getattr(options, "secret", None)
        if secret is not None:
            reveal(secret)

    def render(self, group: Group) -> Payload:
        opts = self.options
        limit = getattr(opts, "max_alerts", 0) or len(group.items)
        alerts: list[dict[str, Any]] = []
        for item in group.items[:limit]:
            f = item.finding
            resolved = item.event == "resolve"
            alerts.append(
                {
                    "status": "resolved" if resolved else "firing",
                    "labels": alert_labels(f),
                    "annotations": alert_annotations(item, group.now),
                    "startsAt": rfc3339(f.began),
                    "endsAt": rfc3339(f.resolved_at)
                    if resolved and f.resolved_at
                    else "0001-01-01T00:00:00Z",
                    "generatorURL": item.dashboard_url,
                    "fingerprint": f.fingerprint,
                }
            )
        labels = [a["labels"] for a in alerts]
        group_labels = {"group": group.key}
        if group.system:
            group_labels["system"] = group.system
        body = {
            "version": "4",
            "groupKey": f"{{}}:{{group={group.key!r}}}",
            "truncatedAlerts": len(group.items) - len(alerts),
            "status": "resolved" if group.event == "resolve" else "firing",
            "receiver": group.channel,
            "groupLabels": group_labels,
            "commonLabels": common(labels),
            "commonAnnotations": common([a["annotations"] for a in alerts]),
            "externalURL": group.base_url,
            "alerts": alerts,
            "title": group.title(),
            "event": group.event,
        }
        if group.intro():
            body["message"] = group.intro()
        return Payload(body, group.extra["message_id"], group.title())

    def headers(self, payload: Payload, body: bytes) -> dict[str, str]:
        opts = self.options
        headers = super().headers(payload, body)
        headers.update(getattr(opts, "headers", {}))
        headers["Idempotency-Key"] = payload.message_id
        secret = getattr(opts, "secret", None)
        if secret is not None:
            headers[getattr(opts, "signature_header", SIGNATURE_HEADER)] = sign(
                reveal(secret), body
            )
        return headers
