"""Plan: from findings, routes, mutes and what the outbox already holds to rendered messages. Pure.

No store, no network, no clock: everything comes in as arguments (`now` and the message ids
included), so a plan can be computed, inspected and tested alone, and computed fast (the
outbox's state is a dict keyed by dedup key; routes' matchers are built once).

Alertmanager's notify pipeline names the same steps: wait (a group's `group_wait`), dedup
(an event whose dedup key the outbox holds is not planned again), and the repeat interval.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo

from alerts.base import Channel, Payload
from alerts.message import Group, Item, dashboard_url
from alerts.route import RouteParams, Router
from alerts.settings import AlertSettings
from seamwatch.finding_kind import FindingKind
from seamwatch.findings import Finding

FINAL = ("sent", "undelivered")


@dataclass(frozen=True)
class Note:
    """What the outbox holds for one event (a row of `notifications`)."""

    dedup_key: str
    status: str
    created_at: datetime
    sent_at: datetime | None = None


@dataclass(frozen=True)
class Event:
    """One thing to tell one channel about one finding."""

    finding: Finding
    channel: str
    kind: str  # open | repeat | resolve
    seq: int
    params: RouteParams

    @property
    def dedup_key(self) -> str:
        """Unique per event: finding episode, event kind (+ repeat number), channel."""
        return event_key(self.finding.finding_id, self.kind, self.seq, self.channel)


def event_key(finding_id: str, kind: str, seq: int, channel: str) -> str:
    """The dedup key of an event: `<finding>|open|<channel>`, `<finding>|repeat:3|<channel>`."""
    middle = f"repeat:{seq}" if kind == "repeat" else kind
    return f"{finding_id}|{middle}|{channel}"


def muted_key(event: Event, muted_by: str) -> str:
    """The dedup key recording that a mute held an event back (once per event and mute)."""
    return f"{event.dedup_key}|silenced|{muted_by}"


@dataclass(frozen=True)
class PlannedMessage:
    """A group of events for one channel, rendered, ready to be claimed and sent."""

    channel: str
    group: Group
    events: tuple[Event, ...]
    payload: Payload


@dataclass(frozen=True)
class Muted:
    """An event that a silence or maintenance window muted."""

    event: Event
    muted_by: str


@dataclass
class Plan:
    """What a cycle decided: messages to send, muted events, events still in their group wait."""

    messages: list[PlannedMessage] = field(default_factory=list)
    muted: list[Muted] = field(default_factory=list)
    waiting: int = 0
    unrouted: list[str] = field(default_factory=list)


class MuteRule:
    """What `plan` asks of silences and maintenance windows (alerts.silences.Muter)."""

    def muted_by(self, finding: Finding) -> str | None:  # pragma: no cover - protocol
        raise NotImplementedError


@dataclass(frozen=True)
class Planner:
    """The fixed inputs of planning: settings, channels (to render), where links point, ids."""

    alerts: AlertSettings
    channels: Mapping[str, Channel]
    base_url: str
    zone: tzinfo
    new_id: Callable[[], str]

    def plan(
        self,
        findings: Sequence[Finding],
        notes: Mapping[str, Note],
        muter: MuteRule,
        now: datetime,
    ) -> Plan:
        """Every due event, muted or grouped per channel into rendered messages."""
        router = Router(self.alerts, self.channels)
        plan = Plan()
        opens: list[Event] = []
        others: list[Event] = []
        mutes: dict[str, str | None] = {}
        for finding in findings:
            for event in self.due(finding, router, notes, now, plan):
                fid = finding.finding_id
                if fid not in mutes:
                    mutes[fid] = muter.muted_by(finding)
                muted_by = mutes[fid]
                if muted_by:
                    if muted_key(event, muted_by) not in notes:
                        plan.muted.append(Muted(event, muted_by))
                    continue
                (opens if event.kind == "open" else others).append(event)
        plan.messages.extend(self.group_opens(opens, now, plan))
        plan.messages.extend(self.group_others(others, now))
        return plan

    def due(
        self,
        finding: Finding,
        router: Router,
        notes: Mapping[str, Note],
        now: datetime,
        plan: Plan,
    ) -> Iterator[Event]:
        """The open, repeat or resolve events of one finding that the outbox does not hold."""
        fid = finding.finding_id
        if finding.status == "open":
            targets = router.targets(finding, finding.chat_route)
            if not targets:
                plan.unrouted.append(fid)
            for name, params in targets.items():
                opened = notes.get(event_key(fid, "open", 0, name))
                if opened is None:
                    yield Event(finding, name, "open", 0, params)
                    continue
                if opened.status not in FINAL:
                    continue  # in flight: the outbox's reclaim owns it
                start = opened.sent_at or opened.created_at
                every = self.channels[name].repeat_interval(params.repeat_interval)
                seq = int((now - start) / every) if every > timedelta(0) else 0
                if seq >= 1 and event_key(fid, "repeat", seq, name) not in notes:
                    yield Event(finding, name, "repeat", seq, params)
            return
        routed: dict[str, RouteParams] | None = None
        for name, channel in self.channels.items():
            opened = notes.get(event_key(fid, "open", 0, name))
            if opened is None or opened.status != "sent" or not channel.wants("resolve"):
                continue
            if event_key(fid, "resolve", 0, name) not in notes:
                if routed is None:
                    routed = router.targets(finding, finding.chat_route)
                yield Event(
                    finding, name, "resolve", 0, routed.get(name) or router.params("default")
                )

    def group_opens(self, events: list[Event], now: datetime, plan: Plan) -> list[PlannedMessage]:
        """Open events: shared-system groups first, then per route group_by; each after its wait."""
        a = self.alerts
        by_system: dict[str, set[str]] = defaultdict(set)
        owners: dict[str, str] = {}
        if a.shared_system_grouping:
            for e in events:
                f = e.finding
                owners[f.integration_id] = f.owner or "no owner"
                if f.kind == FindingKind.HOUSEKEEPING:  # a missing owner says nothing of the system
                    continue
                for system in (f.source_system, f.target_system):
                    if system:
                        by_system[system].add(f.integration_id)
        shared = {s: ids for s, ids in by_system.items() if len(ids) >= a.shared_system_min}
        names = {e.finding.integration_id: e.finding.name for e in events}

        def system_of(f: Finding) -> str | None:
            if not shared or f.kind == FindingKind.HOUSEKEEPING:
                return None
            choices = [s for s in (f.source_system, f.target_system) if s in shared]
            return max(choices, key=lambda s: (len(shared[s]), s)) if choices else None

        buckets: dict[tuple[str, str, str | None], list[Event]] = defaultdict(list)
        for e in events:
            system = system_of(e.finding)
            key = f"system={system}" if system else group_key(e)
            buckets[(e.channel, key, system)].append(e)
        cluster_start: dict[str, datetime] = {}
        for (_, _, system), members in buckets.items():
            if system:
                first = min(m.finding.first_seen for m in members)
                cluster_start[system] = min(cluster_start.get(system, first), first)
        # system -> its integrations as sorted (name, owner) pairs and each id's position there:
        # a message's "also affected" is that list without its own members, cut by slicing (a
        # system shared by thousands would otherwise be filtered again for every channel).
        others: dict[str, tuple[list[tuple[str, str]], dict[str, int]]] = {}
        messages = []
        for (channel, key, system), members in buckets.items():
            wait = max(m.params.group_wait for m in members)
            first = cluster_start[system] if system else min(m.finding.first_seen for m in members)
            if first + wait > now:
                plan.waiting += len(members)
                continue
            also: tuple[tuple[str, str], ...] = ()
            if system:
                if system not in others:
                    ordered = sorted((names[i], owners[i], i) for i in shared[system])
                    others[system] = (
                        [(n, o) for n, o, _ in ordered],
                        {i: k for k, (_, _, i) in enumerate(ordered)},
                    )
                pairs, position = others[system]
                also = tuple(without(pairs, {position[m.finding.integration_id] for m in members}))
            messages.append(self.render(channel, "open", key, members, now, system, also))
        return messages

    def group_others(self, events: Iterable[Event], now: datetime) -> list[PlannedMessage]:
        """Repeats and resolves go out at once, grouped per channel, event and group_by values."""
        buckets: dict[tuple[str, str, str], list[Event]] = defaultdict(list)
        for e in events:
            buckets[(e.channel, e.kind, group_key(e))].append(e)
        return [
            self.render(ch, kind, key, members, now) for (ch, kind, key), members in buckets.items()
        ]

    def render(
        self,
        channel: str,
        event: str,
        key: str,
        events: list[Event],
        now: datetime,
        system: str | None = None,
        also: tuple[tuple[str, str], ...] = (),
    ) -> PlannedMessage:
        """A group rendered by its channel (worst first), with a fresh message id."""
        ordered = sorted(
            events,
            key=lambda e: (
                -e.finding.rank,
                e.finding.name,
                e.finding.finding_id,
            ),
        )
        items = tuple(
            Item(
                e.finding, event, dashboard_url(self.base_url, e.finding.integration_id), self.zone
            )
            for e in ordered
        )
        group = Group(channel, event, key, items, now, system, also, self.base_url, self.new_id())
        return PlannedMessage(channel, group, tuple(ordered), self.channels[channel].render(group))


def without(items: list[tuple[str, str]], drop: set[int]) -> list[tuple[str, str]]:
    """`items` without the positions in `drop`, copied slice by slice."""
    out: list[tuple[str, str]] = []
    start = 0
    for k in sorted(drop):
        out += items[start:k]
        start = k + 1
    out += items[start:]
    return out


def group_key(event: Event) -> str:
    """The group_by values of an event's finding, e.g. `owner=payments,severity=warning`."""
    f = event.finding
    parts = []
    for name in event.params.group_by:
        value = f.integration_id if name == "integration" else getattr(f, name, None)
        parts.append(f"{name}={value if value is not None else '-'}")
    return ",".join(parts) or "all"
