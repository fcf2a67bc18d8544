"""A tiny spine-level chat poster: one text message to one incoming webhook.

The alerts stage owns chat channels (routing, grouping, silences). Stages that only need to
announce something, like the weekly report, may not import `alerts`; they post a plain text
message through here, delivered by the same code as alerts (`seamwatch.delivery`). The URL is a
secret: it is registered for redaction, so no log line or error message shows it.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, Literal

from seamwatch.delivery import DeliveryError, RetryPolicy, classify, deliver, json_bytes, post
from seamwatch.secrets import register_secret

log = logging.getLogger(__name__)

PostFormat = Literal["slack", "mattermost", "google-chat", "discord", "teams", "json"]

DISCORD_LIMIT = 2_000
GOOGLE_CHAT_LIMIT = 4_096
SLACK_LIMIT = 3_000
BACKOFF = timedelta(seconds=0.5)
USER_AGENT = "Seamwatch/1"


class ChatPostError(DeliveryError):
    """A chat message could not be delivered; `permanent` when retrying cannot help."""


def link(url: str, text: str, fmt: PostFormat) -> str:
    """A link in the message syntax of the target service."""
    if fmt in ("slack", "google-chat"):
        return f"<{url}|{escape(text, fmt)}>"
    if fmt in ("mattermost", "discord", "teams"):
        return f"[{text}]({url})"
    return f"{text}: {url}"


def escape(text: str, fmt: PostFormat) -> str:
    """Escape text for the target service: Slack-style mrkdwn treats &, < and > as control."""
    if fmt in ("slack", "google-chat"):
        return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return text


def payload(text: str, fmt: PostFormat) -> dict[str, Any]:
    """The JSON body each service expects for a plain text message, within its size limit."""
    if fmt == "discord":
        return {"content": _clip(text, DISCORD_LIMIT)}
    if fmt == "teams":
        card = {
            "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
            "type": "AdaptiveCard",
            "version": "1.4",
            "body": [{"type": "TextBlock", "text": text, "wrap": True}],
        }
        return {
            "type": "message",
            "attachments": [
                {
                    "contentType": "application/vnd.microsoft.card.adaptive",
                    "contentUrl": None,
                    "content": card,
                }
            ],
        }
    if fmt == "google-chat":
        return {"text": _clip(text, GOOGLE_CHAT_LIMIT)}
    if fmt == "slack":
        return {"text": _clip(text, SLACK_LIMIT)}
    return {"text": text}


def post_text(
    url: str,
    text: str,
    fmt: PostFormat = "slack",
    *,
    timeout: float = 10.0,
    attempts: int = 3,
    max_wait: float = 30.0,
) -> None:
    """POST one text message; retry 429/5xx/network errors (honouring Retry-After), else raise.

    Delivery (classification, backoff with jitter, Retry-After) is `seamwatch.delivery`'s, the
    same the alerts stage uses; this only says what went wrong in a sentence for the user.
    """
    register_secret(url)  # an error or log line quoting it is masked
    body = json_bytes(payload(text, fmt))
    headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT}
    wait = timedelta(seconds=max_wait)
    policy = RetryPolicy(attempts, backoff=BACKOFF, max_backoff=wait, max_retry_after=wait)
    outcome = deliver(
        lambda: classify(post(url, body, headers, timeout)),
        policy,
        target="chat webhook",
        limiter=None,
    )
    if outcome.sent:
        return
    last = f"HTTP {outcome.status}" if outcome.status is not None else outcome.error
    if outcome.permanent:
        raise ChatPostError(
            f"the chat webhook refused the message ({last}); check the URL", permanent=True
        )
    raise ChatPostError(f"the chat webhook did not accept the message: {last}")


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
