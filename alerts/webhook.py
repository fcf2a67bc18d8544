"""A generic JSON webhook: the Prometheus Alertmanager webhook payload, version 4.

Any receiver written for Alertmanager understands it. With `secret` set, each request is
signed: with `signing = "standard"` the Standard Webhooks way (`webhook-id`, `webhook-timestamp`,
`webhook-signature: v1,<base64 HMAC-SHA256 of "id.timestamp.body">`), so a receiver that
rejects old timestamps and seen ids stops replays (recommended); the default `signing = "body"`
keeps `X-Seamwatch-Signature: sha256=<hex>` over the body alone, as receivers built for it expect. Every request carries
`Idempotency-Key: <message id>` so a receiver can drop the one possible re-send after a crash.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from collections.abc import Callable
from typing import Any, ClassVar, Literal

from pydantic import Field, SecretStr

from alerts.base import ChannelOptions, HttpChannel, Payload
from alerts.message import Group, alert_annotations, alert_labels, rfc3339
from seamwatch.secrets import reveal
from seamwatch.stage import Announcement

SIGNATURE_HEADER = "X-Seamwatch-Signature"


class WebhookOptions(ChannelOptions):
    secret: SecretStr | None = None
    # standard: Standard Webhooks (id, timestamp and body signed; replays detectable);
    # body: HMAC of the body only (the default, for receivers built for it)
    signing: Literal["standard", "body"] = "body"
    signature_header: str = SIGNATURE_HEADER
    max_alerts: int = Field(default=0, ge=0)  # 0: no limit; else truncatedAlerts counts the rest
    headers: dict[str, str] = Field(default_factory=dict)


def sign(secret: str, body: bytes) -> str:
    """The signature header value for a body: sha256=<hex HMAC-SHA256>."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks `webhook-signature` value: v1,<base64 HMAC-SHA256 of
    "id.timestamp.body">, keyed by the base64 part of a `whsec_` secret, else the secret's bytes."""
    key = (
        base64.b64decode(secret.removeprefix("whsec_"))
        if secret.startswith("whsec_")
        else secret.encode("utf-8")
    )
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


def group_labels(key: str, system: str | None) -> dict[str, str]:
    """A group key ("owner=payments,severity=warning") as Alertmanager's groupLabels."""
    labels = dict(part.split("=", 1) for part in key.split(",") if "=" in part)
    if system:
        labels["system"] = system
    return labels


def group_key(labels: dict[str, str]) -> str:
    """Alertmanager's groupKey for these labels: {}:{owner="payments", severity="warning"}."""
    inner = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items()))
    return f"{{}}:{{{inner}}}"


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
    clock: ClassVar[Callable[[], float]] = staticmethod(time.time)  # tests pin it

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
        grouped = group_labels(group.key, group.system)
        body = {
            "version": "4",
            "groupKey": group_key(grouped),
            "truncatedAlerts": len(group.items) - len(alerts),
            "status": "resolved" if group.event == "resolve" else "firing",
            "receiver": group.channel,
            "groupLabels": grouped,
            "commonLabels": common(labels),
            "commonAnnotations": common([a["annotations"] for a in alerts]),
            "externalURL": group.base_url,
            "alerts": alerts,
            "title": group.title(),
            "event": group.event,
        }
        if group.intro():
            body["message"] = group.intro()
        return Payload(body, group.message_id, group.title())

    def render_post(self, post: Announcement, message_id: str) -> Payload:
        """A JSON announcement: `text` (lines and `label: url`), plus its parts for machines."""
        text = "\n".join([*post.lines, f"{post.link_label}: {post.link}"])
        body = {"event": post.event, "title": post.title, "text": text, "url": post.link}
        return Payload(body, message_id, post.title)

    def headers(self, payload: Payload, body: bytes) -> dict[str, str]:
        opts = self.options
        headers = super().headers(payload, body)
        headers.update(getattr(opts, "headers", {}))
        headers["Idempotency-Key"] = payload.message_id
        secret = getattr(opts, "secret", None)
        if secret is None:
            return headers
        if getattr(opts, "signing", "body") == "standard":
            timestamp = int(self.clock())
            headers["webhook-id"] = payload.message_id
            headers["webhook-timestamp"] = str(timestamp)
            headers["webhook-signature"] = standard_signature(
                reveal(secret), payload.message_id, timestamp, body
            )
        else:
            headers[getattr(opts, "signature_header", SIGNATURE_HEADER)] = sign(
                reveal(secret), body
            )
        return headers
