"""Microsoft Teams via a Workflows webhook ("Send webhook alerts to a channel"): an Adaptive Card.

The retired Office 365 connector format is not used. Keep a message under about 28 KB.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from alerts.base import HttpChannel, Payload
from alerts.message import Group, Item, cut, fit, item_links, json_size, md_link, more_line
from seamwatch.stage import Announcement

SIZE_LIMIT = 28_000
COLOR = {"critical": "Attention", "warning": "Warning", "info": "Accent", "resolved": "Good"}


def message(card: dict[str, Any]) -> dict[str, Any]:
    """An Adaptive Card wrapped as the message a Workflows webhook takes."""
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


def card(body: list[dict[str, Any]]) -> dict[str, Any]:
    """An Adaptive Card (1.4, full width) with these body elements."""
    return {
        "$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
        "type": "AdaptiveCard",
        "version": "1.4",
        "body": body,
        "msteams": {"width": "Full"},
    }


class TeamsChannel(HttpChannel):
    """Teams: a bold title, per finding a heading, the summary and a FactSet; link actions."""

    kind = "teams"
    default_min_interval = timedelta(seconds=1)

    def render(self, group: Group) -> Payload:
        def item_body(item: Item) -> list[dict[str, Any]]:
            f = item.finding
            return [
                {
                    "type": "TextBlock",
                    "text": item.headline(),
                    "weight": "Bolder",
                    "wrap": True,
                    "separator": True,
                    "color": COLOR.get(item.severity, "Default"),
                },
                {"type": "TextBlock", "text": item.summary_line(group.now), "wrap": True},
                {
                    "type": "FactSet",
                    "facts": [
                        {"title": "Severity", "value": f.severity},
                        {"title": "Owner", "value": item.owner()},
                        {"title": "Since", "value": item.since()},
                        {
                            "title": "Recovered after" if item.event == "resolve" else "Open for",
                            "value": item.duration(group.now),
                        },
                    ],
                },
                {"type": "TextBlock", "text": item_links(item), "wrap": True, "isSubtle": True},
            ]

        def build(items: tuple[Item, ...], left_out: int) -> dict[str, Any]:
            body: list[dict[str, Any]] = [
                {
                    "type": "TextBlock",
                    "text": group.title(),
                    "weight": "Bolder",
                    "size": "Medium",
                    "wrap": True,
                    "color": COLOR.get(group.severity, "Default"),
                }
            ]
            intro = group.intro()
            if intro:
                body.append({"type": "TextBlock", "text": intro, "wrap": True})
            for item in items:
                body.extend(item_body(item))
            if left_out:
                body.append(
                    {
                        "type": "TextBlock",
                        "text": more_line(left_out),
                        "wrap": True,
                        "isSubtle": True,
                    }
                )
            actions: list[dict[str, Any]] = []
            if len(group.items) == 1 and items:
                if items[0].finding.runbook:
                    actions.append(
                        {
                            "type": "Action.OpenUrl",
                            "title": "Runbook",
                            "url": items[0].finding.runbook,
                        }
                    )
                actions.append(
                    {"type": "Action.OpenUrl", "title": "Dashboard", "url": items[0].dashboard_url}
                )
            content = card(body)
            if actions:
                content["actions"] = actions
            return message(content)

        body = fit(group.items, build, lambda b: json_size(b) <= SIZE_LIMIT)
        return Payload(body, group.message_id, cut(group.title(), 200))

    def render_post(self, post: Announcement, message_id: str) -> Payload:
        """One TextBlock of Markdown text with a Markdown link."""
        text = (
            cut("\n".join(post.lines), SIZE_LIMIT // 2) + "\n" + md_link(post.link_label, post.link)
        )
        body = message(card([{"type": "TextBlock", "text": text, "wrap": True}]))
        return Payload(body, message_id, cut(post.title, 200))
