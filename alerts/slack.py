"""Slack incoming webhooks (Block Kit), and the Slack-alike base Mattermost shares.

Limits (Slack docs): 50 blocks, header text 150 chars, section text 3,000 chars, 10 fields.
400/403/404/410 answers (invalid_payload, action_prohibited, no_service, channel_is_archived)
are permanent; 429 carries Retry-After; about one message per second per webhook.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any, ClassVar

from alerts.base import ChannelOptions, HttpChannel, Payload
from alerts.message import Group, Item, cut, fit, item_text, json_size, more_line
from seamwatch.stage import Announcement

MAX_BLOCKS = 50
HEADER_LIMIT = 150
SECTION_LIMIT = 3000
TEXT_LIMIT = 40_000


def escape(text: str) -> str:
    """Slack mrkdwn needs &, < and > escaped in text."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def slack_link(label: str, url: str) -> str:
    return f"<{url.replace('|', '%7C').replace('>', '%3E')}|{escape(label)}>"


class SlackalikeOptions(ChannelOptions):
    """Keys Slack and Slack-compatible services (Mattermost) share."""

    username: str | None = None
    icon_url: str | None = None


class SlackalikeChannel(HttpChannel):
    """Shared by Slack and Mattermost: the webhook answers and the message extras."""

    Options: ClassVar[type[ChannelOptions]] = SlackalikeOptions

    def extras(self) -> dict[str, Any]:
        """username / icon_url when configured."""
        opts = self.options
        out: dict[str, Any] = {}
        if getattr(opts, "username", None):
            out["username"] = opts.username  # type: ignore[attr-defined]
        if getattr(opts, "icon_url", None):
            out["icon_url"] = opts.icon_url  # type: ignore[attr-defined]
        return out


class SlackChannel(SlackalikeChannel):
    """Slack: a header, one section per finding, buttons for a single finding, a context line."""

    kind = "slack"
    default_min_interval = timedelta(seconds=1)

    def render(self, group: Group) -> Payload:
        def item_block(item: Item) -> dict[str, Any]:
            text = item_text(item, group.now, slack_link, lambda s: f"*{escape(s)}*", escape)
            return {"type": "section", "text": {"type": "mrkdwn", "text": cut(text, SECTION_LIMIT)}}

        def build(items: tuple[Item, ...], left_out: int) -> dict[str, Any]:
            blocks: list[dict[str, Any]] = [
                {
                    "type": "header",
                    "text": {"type": "plain_text", "text": cut(group.title(), HEADER_LIMIT)},
                }
            ]
            intro = group.intro()
            if intro:
                blocks.append(
                    {
                        "type": "section",
                        "text": {"type": "mrkdwn", "text": cut(escape(intro), SECTION_LIMIT)},
                    }
                )
            for item in items:
                blocks.append(item_block(item))
            if len(group.items) == 1 and items:
                buttons = [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "Dashboard"},
                        "url": items[0].dashboard_url,
                    }
                ]
                if items[0].finding.runbook:
                    buttons.insert(
                        0,
                        {
                            "type": "button",
                            "text": {"type": "plain_text", "text": "Runbook"},
                            "url": items[0].finding.runbook,
                        },
                    )
                blocks.append({"type": "actions", "elements": buttons})
            if left_out:
                blocks.append(
                    {
                        "type": "context",
                        "elements": [{"type": "mrkdwn", "text": escape(more_line(left_out))}],
                    }
                )
            blocks.append(
                {
                    "type": "context",
                    "elements": [
                        {
                            "type": "mrkdwn",
                            "text": escape(f"Seamwatch · {group.event} · {group.key}"),
                        }
                    ],
                }
            )
            return {"text": cut(group.title(), TEXT_LIMIT), "blocks": blocks, **self.extras()}

        body = fit(
            group.items,
            build,
            lambda b: len(b["blocks"]) <= MAX_BLOCKS and json_size(b) < TEXT_LIMIT,
        )
        return Payload(body, group.message_id, group.title())

    def render_post(self, post: Announcement, message_id: str) -> Payload:
        """A mrkdwn text message: the lines escaped, the link in Slack's `<url|label>`."""
        link = slack_link(post.link_label, post.link)
        lines = cut("\n".join(escape(line) for line in post.lines), SECTION_LIMIT - len(link) - 1)
        return Payload({"text": f"{lines}\n{link}", **self.extras()}, message_id, post.title)
