"""Discord webhooks: a content line and one embed per finding.

Limits (Discord docs): content 2,000 chars; 10 embeds; title 256, description 4,096, 25 fields,
field name 256 and value 1,024, footer 2,048, and 6,000 chars across all embeds of a message.
429 answers carry Retry-After and a JSON `retry_after` in seconds (about 30 a minute).
"""

from __future__ import annotations

import contextlib
import json
from datetime import timedelta
from typing import Any, ClassVar

import httpx

from alerts.base import ChannelOptions, DeliveryError, HttpChannel, Payload
from alerts.message import (
    SEVERITY_COLOR,
    Group,
    Item,
    cut,
    fit,
    item_links,
    md_link,
    more_line,
)
from alerts.transport import retry_after
from seamwatch.stage import Announcement

CONTENT_LIMIT = 2000
MAX_EMBEDS = 10
EMBED_TOTAL = 6000


class DiscordOptions(ChannelOptions):
    username: str | None = None
    avatar_url: str | None = None


def embed_chars(embed: dict[str, Any]) -> int:
    """The characters Discord counts towards the 6,000 limit."""
    total = len(embed.get("title", "")) + len(embed.get("description", ""))
    total += len(embed.get("footer", {}).get("text", ""))
    total += sum(len(f["name"]) + len(f["value"]) for f in embed.get("fields", []))
    return total


class DiscordChannel(HttpChannel):
    """Discord: `?wait=true` so the webhook confirms (200) or refuses synchronously."""

    kind = "discord"
    Options: ClassVar[type[ChannelOptions]] = DiscordOptions
    default_min_interval = timedelta(seconds=2)

    def extras(self) -> dict[str, Any]:
        """username / avatar_url when configured."""
        opts = self.options
        out: dict[str, Any] = {}
        if getattr(opts, "username", None):
            out["username"] = opts.username  # type: ignore[attr-defined]
        if getattr(opts, "avatar_url", None):
            out["avatar_url"] = opts.avatar_url  # type: ignore[attr-defined]
        return out

    def target_url(self, payload: Payload) -> str:
        return str(httpx.URL(super().target_url(payload)).copy_merge_params({"wait": "true"}))

    def render(self, group: Group) -> Payload:
        def embed(item: Item) -> dict[str, Any]:
            f = item.finding
            description = "\n".join(
                [item.summary_line(group.now), item.status_line(group.now), item_links(item)]
            )
            return {
                "title": cut(item.headline(), 256),
                "description": cut(description, 4096),
                "url": item.dashboard_url,
                "color": int(SEVERITY_COLOR.get(item.severity, "#888888").lstrip("#"), 16),
                "fields": [
                    {"name": "Severity", "value": f.severity, "inline": True},
                    {"name": "Owner", "value": cut(item.owner(), 1024), "inline": True},
                    {
                        "name": "Recovered after" if item.event == "resolve" else "Open for",
                        "value": item.duration(group.now),
                        "inline": True,
                    },
                ],
                "footer": {"text": cut(f"Seamwatch · {f.detector} · {f.finding_id}", 2048)},
                "timestamp": f.began.isoformat(),
            }

        def build(items: tuple[Item, ...], left_out: int) -> dict[str, Any]:
            content = f"**{group.title()}**"
            intro = group.intro()
            if intro:
                content += "\n" + intro
            tail = ("\n" + more_line(left_out)) if left_out else ""
            body: dict[str, Any] = {
                "content": cut(content, CONTENT_LIMIT - len(tail)) + tail,
                "embeds": [embed(i) for i in items],
                "allowed_mentions": {"parse": []},
            }
            return {**body, **self.extras()}

        def fits(body: dict[str, Any]) -> bool:
            return (
                len(body["embeds"]) <= MAX_EMBEDS
                and sum(embed_chars(e) for e in body["embeds"]) <= EMBED_TOTAL
            )

        body = fit(group.items, build, fits)
        return Payload(body, group.message_id, group.title())

    def render_post(self, post: Announcement, message_id: str) -> Payload:
        """Content with a Markdown link; mentions are never parsed."""
        link = md_link(post.link_label, post.link)
        lines = cut("\n".join(post.lines), CONTENT_LIMIT - len(link) - 1)
        body = {"content": f"{lines}\n{link}", "allowed_mentions": {"parse": []}}
        return Payload({**body, **self.extras()}, message_id, post.title)

    def classify(self, response: httpx.Response) -> None:
        if response.status_code == 429:
            retry = retry_after(response)
            with contextlib.suppress(ValueError, AttributeError, TypeError):
                retry = float(json.loads(response.text).get("retry_after", retry))
            raise DeliveryError("HTTP 429: rate limited by Discord", retry_after=retry, status=429)
        super().classify(response)
