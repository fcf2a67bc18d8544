"""Google Chat incoming webhooks: a cardsV2 card, threaded by finding.

Messages about one finding episode (open, repeats, resolve) share a thread key, sent with
`messageReplyOption=REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD`. Text fields up to 4,096 chars; a
message up to 32,000 bytes; about one message per second per space.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import httpx

from alerts.base import HttpChannel, Payload
from alerts.message import Group, Item, cut, fit, json_size, more_line
from alerts.slack import escape, slack_link
from seamwatch.stage import Announcement

TEXT_LIMIT = 4096
SIZE_LIMIT = 32_000
MAX_SECTIONS = 50


def thread_key(group: Group) -> str:
    """One thread per group key (e.g. owner=payments, or a shared system), stable across
    messages: a finding's open, repeats and resolve always share its group, so they land in one
    thread, whether each message carries one finding or many."""
    digest = hashlib.sha1(f"{group.channel}|{group.key}".encode()).hexdigest()[:16]
    return f"seamwatch-{digest}"


class GoogleChatChannel(HttpChannel):
    """Google Chat: a header with the title, a section per finding with owner, since and links."""

    kind = "google_chat"
    default_min_interval = timedelta(seconds=1)

    def target_url(self, payload: Payload) -> str:
        url = httpx.URL(super().target_url(payload))
        return str(
            url.copy_merge_params({"messageReplyOption": "REPLY_MESSAGE_FALLBACK_TO_NEW_THREAD"})
        )

    def render(self, group: Group) -> Payload:
        def section(item: Item) -> dict[str, Any]:
            f = item.finding
            buttons = [{"text": "Dashboard", "onClick": {"openLink": {"url": item.dashboard_url}}}]
            if f.runbook:
                buttons.insert(0, {"text": "Runbook", "onClick": {"openLink": {"url": f.runbook}}})
            return {
                "header": cut(item.headline(), 200),
                "widgets": [
                    {"textParagraph": {"text": cut(item.summary_line(group.now), TEXT_LIMIT)}},
                    {
                        "decoratedText": {
                            "topLabel": "Severity · Owner",
                            "text": cut(f"{f.severity} · {item.owner()}", TEXT_LIMIT),
                        }
                    },
                    {
                        "decoratedText": {
                            "topLabel": "Recovered" if item.event == "resolve" else "Since",
                            "text": cut(item.status_line(group.now), TEXT_LIMIT),
                        }
                    },
                    {"buttonList": {"buttons": buttons}},
                ],
            }

        def build(items: tuple[Item, ...], left_out: int) -> dict[str, Any]:
            sections: list[dict[str, Any]] = []
            intro = group.intro()
            if intro:
                sections.append({"widgets": [{"textParagraph": {"text": cut(intro, TEXT_LIMIT)}}]})
            sections.extend(section(i) for i in items)
            if left_out:
                sections.append({"widgets": [{"textParagraph": {"text": more_line(left_out)}}]})
            return {
                "fallbackText": cut(group.title(), 4000),
                "cardsV2": [
                    {
                        "cardId": group.message_id,
                        "card": {
                            "header": {
                                "title": cut(group.title(), 200),
                                "subtitle": cut(f"Seamwatch · {group.key}", 200),
                            },
                            "sections": sections,
                        },
                    }
                ],
                "thread": {"threadKey": thread_key(group)},
            }

        def fits(body: dict[str, Any]) -> bool:
            return (
                json_size(body) <= SIZE_LIMIT
                and len(body["cardsV2"][0]["card"]["sections"]) <= MAX_SECTIONS
            )

        body = fit(group.items, build, fits)
        return Payload(body, group.message_id, group.title())

    def render_post(self, post: Announcement, message_id: str) -> Payload:
        """Text in Google Chat's markup: `<url|label>` links, &, < and > escaped."""
        link = slack_link(post.link_label, post.link)
        lines = cut("\n".join(escape(line) for line in post.lines), TEXT_LIMIT - len(link) - 1)
        return Payload({"text": f"{lines}\n{link}"}, message_id, post.title)
