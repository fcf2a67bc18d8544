"""Mattermost incoming webhooks: Slack-compatible attachments, one per finding.

Message text is limited to 16,383 characters (text and attachment texts together here).
"""

from __future__ import annotations

from typing import Any

from alerts.base import Payload
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
from alerts.slack import SlackalikeChannel
from seamwatch.stage import Announcement

TEXT_LIMIT = 16_383
MAX_ATTACHMENTS = 100


class MattermostChannel(SlackalikeChannel):
    """Mattermost: the title as text, an attachment per finding with owner/severity/since fields."""

    kind = "mattermost"

    def render(self, group: Group) -> Payload:
        def attachment(item: Item) -> dict[str, Any]:
            f = item.finding
            text = "\n".join(
                [item.summary_line(group.now), item.status_line(group.now), item_links(item)]
            )
            return {
                "fallback": cut(f"{f.name}: {f.summary}", 500),
                "color": SEVERITY_COLOR.get(item.severity, "#888888"),
                "title": cut(item.headline(), 250),
                "title_link": item.dashboard_url,
                "text": cut(text, 4000),
                "fields": [
                    {"short": True, "title": "Severity", "value": f.severity},
                    {"short": True, "title": "Owner", "value": item.owner()},
                    {"short": True, "title": "Since", "value": item.since()},
                    {
                        "short": True,
                        "title": "Recovered after" if item.event == "resolve" else "Open for",
                        "value": item.duration(group.now),
                    },
                ],
            }

        def build(items: tuple[Item, ...], left_out: int) -> dict[str, Any]:
            text = f"**{group.title()}**"
            intro = group.intro()
            if intro:
                text += "\n" + intro
            if left_out:
                text += "\n" + more_line(left_out)
            return {
                "text": cut(text, 4000),
                "attachments": [attachment(i) for i in items],
                **self.extras(),
            }

        def size(body: dict[str, Any]) -> int:
            return len(body["text"]) + sum(
                len(a["text"]) + len(a["title"]) + len(a["fallback"]) for a in body["attachments"]
            )

        body = fit(
            group.items,
            build,
            lambda b: size(b) <= TEXT_LIMIT and len(b["attachments"]) <= MAX_ATTACHMENTS,
        )
        return Payload(body, group.message_id, group.title())

    def render_post(self, post: Announcement, message_id: str) -> Payload:
        """Markdown text with a Markdown link."""
        link = md_link(post.link_label, post.link)
        lines = cut("\n".join(post.lines), TEXT_LIMIT - len(link) - 1)
        return Payload({"text": f"{lines}\n{link}", **self.extras()}, message_id, post.title)
