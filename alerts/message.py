"""What a message says, independent of the chat service: findings, groups and their wording.

Findings are the spine's read model (`seamwatch.findings.Finding`), made inert for chat here.
Every renderer reads the same `Group`, so Slack, Teams and the rest say the same things:
severity, integration name and owner, the finding's summary with its numbers, since when, the
runbook and the dashboard link; resolved messages say what recovered and how long it took.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, tzinfo
from functools import cached_property, lru_cache
from typing import Any, TypeVar
from urllib.parse import quote, urlsplit

from seamwatch.durations import format_duration
from seamwatch.findings import Finding
from seamwatch.metrics import METRIC_INFO, Metric
from seamwatch.severity import worst
from seamwatch.stage import Announcement
from seamwatch.timeutil import localize_times

T = TypeVar("T")

SEVERITY_COLOR = {
    "critical": "#D32F2F",
    "warning": "#F9A825",
    "info": "#1976D2",
    "resolved": "#2E7D32",
}
SEVERITY_ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵", "resolved": "✅"}
EVENT_VERB = {"open": "New", "repeat": "Still open", "resolve": "Resolved", "test": "Test"}


@lru_cache(maxsize=8192)
def stamp(ts: datetime, zone: tzinfo) -> str:
    """A time as readers see it, in their zone: '2026-11-20 09:00 CET' (findings share a few)."""
    return ts.astimezone(zone).strftime("%Y-%m-%d %H:%M %Z")


@dataclass(frozen=True)
class Item:
    """One finding as a line of a message."""

    finding: Finding
    event: str
    dashboard_url: str
    zone: tzinfo = UTC  # the reader's zone ([app] timezone): times are shown in it

    @property
    def severity(self) -> str:
        return "resolved" if self.event == "resolve" else self.finding.severity

    def since(self) -> str:
        """When the problem began (the finding's onset, not its detection)."""
        return stamp(self.finding.began, self.zone)

    def detected(self) -> str:
        return stamp(self.finding.first_seen, self.zone)

    def duration(self, now: datetime) -> str:
        """How long the problem lasted (or has lasted) since it began, e.g. '3h12m'."""
        end = (
            self.finding.resolved_at
            if self.event == "resolve" and self.finding.resolved_at
            else now
        )
        return format_duration(max(end - self.finding.began, timedelta(0)))

    def owner(self) -> str:
        return self.finding.owner or "no owner"

    def what(self) -> str:
        """What the finding is about, in words: the metric's label, else the detector."""
        try:
            return METRIC_INFO[Metric(self.finding.metric)].label
        except ValueError:
            return self.finding.detector.replace("_", " ")

    def summary_line(self, now: datetime) -> str:
        """The finding's summary; for a resolve, what recovered and how long it took."""
        if self.event == "resolve":
            return (
                f"{self.what()} recovered after {self.duration(now)} "
                f"(was: {localize_times(self.finding.summary, self.zone)})"
            )
        return localize_times(self.finding.summary, self.zone)

    def headline(self) -> str:
        """'CRM orders to ERP (crm-orders-to-erp)'."""
        f = self.finding
        return f.name if f.name == f.integration_id else f"{f.name} ({f.integration_id})"

    def status_line(self, now: datetime) -> str:
        """What happened, in words: recovered after X, or open since Y."""
        if self.event == "resolve":
            return f"Recovered after {self.duration(now)} (began {self.since()})"
        if self.since() == self.detected():
            return f"Since {self.since()} ({self.duration(now)})"
        return f"Since {self.since()} ({self.duration(now)}; detected {self.detected()})"


@dataclass(frozen=True)
class Group:
    """The findings that go out together in one message to one channel."""

    channel: str
    event: str  # open | repeat | resolve | test
    key: str  # what they were grouped by, e.g. "owner=payments" or "system=SAP ERP"
    items: tuple[Item, ...]
    now: datetime
    system: str | None = None  # set for shared-system groups
    also_affected: tuple[tuple[str, str], ...] = ()  # (integration, owner) routed elsewhere
    base_url: str = ""
    message_id: str = ""  # the outbox row's id, also the idempotency key services receive

    @property
    def severity(self) -> str:
        """The worst severity in the group ('resolved' for resolve messages)."""
        if self.event == "resolve":
            return "resolved"
        return worst(i.finding.severity for i in self.items)

    @cached_property
    def owners(self) -> list[str]:
        return sorted({i.owner() for i in self.items} | {o for _, o in self.also_affected})

    def title(self) -> str:
        """One line naming what the message is about."""
        return self._title

    @cached_property
    def _title(self) -> str:
        verb = EVENT_VERB.get(self.event, self.event)
        sev = self.severity.upper()
        if self.event == "test":
            return "Seamwatch test message"
        if self.event == "resolve" and len(self.items) == 1 and not self.system:
            item = self.items[0]
            return f"[RESOLVED] {item.finding.name}: {item.what()} recovered after {item.duration(self.now)}"
        if self.event == "resolve" and not self.system:
            return f"[RESOLVED] {len(self.items)} findings recovered for {', '.join(self.owners)}"
        if self.system:
            count = len(
                {i.finding.integration_id for i in self.items} | {n for n, _ in self.also_affected}
            )
            what = "recovered on" if self.event == "resolve" else "affected by"
            return f"[{sev}] {verb}: {count} integrations {what} {self.system} (likely cause: {self.system})"
        if len(self.items) == 1:
            item = self.items[0]
            return f"[{sev}] {verb}: {item.finding.name} — {item.finding.summary}"
        return f"[{sev}] {verb}: {len(self.items)} findings for {', '.join(self.owners)}"

    def intro(self) -> str | None:
        """A sentence before the items for shared-system messages."""
        if not self.system:
            return None
        names = sorted({i.finding.name for i in self.items} | {n for n, _ in self.also_affected})
        text = (
            f"Findings opened on {len(names)} integrations that share the system {self.system} "
            f"within the group window; the likely cause is {self.system}. Owners: {', '.join(self.owners)}."
        )
        if self.also_affected:
            others = ", ".join(f"{n} ({o})" for n, o in self.also_affected)
            text += f" Also affected (notified elsewhere): {others}."
        return text


_ZWSP = "\u200b"
_MENTION = re.compile(r"(<)(?=[!@#]|users/)|(@)(?=(?:channel|here|all|everyone)\b)", re.I)


def defang(text: str | None) -> str | None:
    """Inventory or detector text made inert in every chat: `<!channel>`, `<!here>`,
    `<@U123>`, `<users/all>` (Google Chat), `@channel`, `@here`, `@all`, `@everyone` would
    ping whole channels; a zero-width space after the `<` or `@` keeps them readable but dead."""
    if not text:
        return text
    return _MENTION.sub(lambda m: (m.group(1) or m.group(2)) + _ZWSP, text)


def safe_link(url: str | None) -> str | None:
    """A link target only when it is plain http(s): never javascript:, data: or file: taken
    from an inventory (the reports apply the same rule)."""
    if not url:
        return None
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()


def inert(finding: Finding) -> Finding:
    """A finding as every channel may show it: texts defanged, the runbook only if http(s).

    The finding itself when nothing needed changing (the common case: no copy per finding)."""
    changes: dict[str, Any] = {}
    for name in ("name", "owner", "summary", "source_system", "target_system"):
        value = getattr(finding, name)
        clean = defang(value)
        if clean != value:
            changes[name] = clean
    if not changes.get("name", finding.name):
        changes["name"] = finding.integration_id
    if not finding.summary:
        changes["summary"] = ""
    runbook = safe_link(finding.runbook)
    if runbook != finding.runbook:
        changes["runbook"] = runbook
    return replace(finding, **changes) if changes else finding


@lru_cache(maxsize=65536)
def inert_post(post: Announcement) -> Announcement:
    """An announcement with mentions defanged: its lines quote inventory text (names, summaries)."""
    return replace(
        post,
        title=defang(post.title) or "",
        lines=tuple(defang(line) or "" for line in post.lines),
    )


@lru_cache(maxsize=65536)
def dashboard_url(base_url: str, integration_id: str) -> str:
    """The integration's page in the dashboard."""
    return f"{base_url.rstrip('/')}/integration?integration={quote(integration_id, safe='')}"


def md_link(label: str, url: str) -> str:
    """A Markdown link (Teams, Discord, Mattermost); a ')' in the URL would end it early."""
    return f"[{label}]({url.replace(')', '%29')})"


def item_links(item: Item, link: Callable[[str, str], str] = md_link) -> str:
    """The runbook (when known) and dashboard links of an item, in the channel's link syntax."""
    links = [link("Dashboard", item.dashboard_url)]
    if item.finding.runbook:
        links.insert(0, link("Runbook", item.finding.runbook))
    return " · ".join(links)


def item_text(
    item: Item,
    now: datetime,
    link: Callable[[str, str], str],
    bold: Callable[[str], str],
    escape: Callable[[str], str] = lambda s: s,
) -> str:
    """An item as lines of markup (the channel supplies link, bold and escaping syntax)."""
    f = item.finding
    lines = [
        f"{SEVERITY_ICON.get(item.severity, '')} {bold(item.headline())} · {f.severity} · "
        + escape(f"owner {item.owner()}" + (f" · tier {f.tier}" if f.tier else "")),
        escape(item.summary_line(now)),
        escape(item.status_line(now)),
        item_links(item, link),
    ]
    return "\n".join(lines)


def more_line(left_out: int) -> str:
    """The sentence that replaces what a size limit cut."""
    return f"…and {left_out} more finding{'s' if left_out != 1 else ''} not shown (message size limit); see the dashboard."


def cut(text: str, limit: int) -> str:
    """Text shortened to at most `limit` characters, marked with an ellipsis when cut."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def fit(
    items: Sequence[T], build: Callable[[Sequence[T], int], Any], fits: Callable[[Any], bool]
) -> Any:
    """The largest prefix of `items` whose rendering fits, built with the count left out.

    `build(shown, left_out)` renders; `fits(rendered)` checks the service's limits. Binary search
    keeps this fast for groups of thousands.
    """
    rendered = build(items, 0)
    if fits(rendered):
        return rendered
    lo, hi = 0, len(items) - 1  # lo always fits (the builder guarantees an empty render fits)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if fits(build(items[:mid], len(items) - mid)):
            lo = mid
        else:
            hi = mid - 1
    return build(items[:lo], len(items) - lo)


def json_size(body: Any) -> int:
    """Bytes of a JSON body, counted the roomiest common way (ASCII escapes, spaces) for margin."""
    return len(json.dumps(body).encode("utf-8"))


def rfc3339(ts: datetime) -> str:
    """A UTC timestamp as RFC 3339 with a Z, as Alertmanager writes them."""
    return ts.strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def alert_labels(finding: Finding) -> dict[str, str]:
    """Prometheus-style labels of a finding: stable across repeats, so Alertmanager dedupes."""
    labels = {
        "alertname": f"Seamwatch_{finding.detector}",
        "integration": finding.integration_id,
        "metric": finding.metric or "none",
        "detector": finding.detector,
        "severity": finding.severity,
        "owner": finding.owner or "none",
        "source": "seamwatch",
    }
    if finding.tier is not None:
        labels["tier"] = str(finding.tier)
    if finding.source_system:
        labels["source_system"] = finding.source_system
    if finding.target_system:
        labels["target_system"] = finding.target_system
    return labels


def alert_annotations(item: Item, now: datetime) -> dict[str, str]:
    """Human text of a finding as annotations (summary, description, links)."""
    f = item.finding
    out = {
        "summary": f.summary,
        "description": f"{item.headline()}, owner {item.owner()}: {f.summary}. {item.status_line(now)}.",
        "dashboard_url": item.dashboard_url,
        "finding_id": f.finding_id,
        "integration_name": f.name,
    }
    if f.runbook:
        out["runbook_url"] = f.runbook
    return out
