"""A tiny spine-level chat poster: one text message to one incoming webhook.

The alerts stage owns chat channels (routing, grouping, retries, silences). Stages that only need
to announce something, like the weekly report, may not import `alerts`; they post a plain text
message through here. The URL is a secret: it is never logged or put into an error message.
"""

from __future__ import annotations

import logging
import time
from typing import Any, Literal

import httpx

from seamwatch.errors import SeamwatchError

log = logging.getLogger(__name__)

PostFormat = Literal["slack", "mattermost", "google-chat", "discord", "teams", "json"]

DISCORD_LIMIT = 2_000
GOOGLE_CHAT_LIMIT = 4_096
SLACK_LIMIT = 3_000
PERMANENT = {400, 401, 403, 404, 410}


class ChatPostError(SeamwatchError):
    """A chat message could not be delivered; `permanent` when retrying cannot help."""

    def __init__(self, message: str, *, permanent: bool = False) -> None:
        super().__init__(message)
        self.permanent = permanent


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
    """POST one text message; retry 429/5xx/network errors (honouring Retry-After), else raise."""
    body = payload(text, fmt)
    last = "no attempt made"
    for attempt in range(1, attempts + 1):
        try:
            response = httpx.post(url, json=body, timeout=timeout)
        except httpx.HTTPError as exc:
            # The exception text can carry the URL, which is a secret: keep only its kind.
            last = f"network error ({type(exc).__name__})"
        else:
            if response.status_code < 300:
                return
            last = f"HTTP {response.status_code}"
            if response.status_code in PERMANENT:
                raise ChatPostError(
                    f"the chat webhook refused the message ({last}); check the URL", permanent=True
                )
            if attempt < attempts:
                time.sleep(min(_retry_after(response, attempt), max_wait))
                continue
        if attempt < attempts:
            time.sleep(min(0.5 * 2 ** (attempt - 1), max_wait))
    log.warning("chat post failed after %d attempts: %s", attempts, last)
    raise ChatPostError(f"the chat webhook did not accept the message: {last}")


def _retry_after(response: httpx.Response, attempt: int) -> float:
    try:
        return max(0.0, float(response.headers.get("retry-after", "")))
    except ValueError:
        return 0.5 * 2 ** (attempt - 1)


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"
