"""One battery every channel kind in the registry must pass (apprise's AppriseURLTester is the
model): config validation messages, the payload format its service documents (checked by the
local format-checking receiver), mentions and unsafe links neutralised, size limits, retries on
429/5xx honouring Retry-After, permanent refusals not retried, and secrets never in logs.

The battery is driven by `alerts.CHANNEL_KINDS`: a kind added to the registry without an entry
in BATTERY fails here, so no kind can skip it.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alerts import CHANNEL_KINDS, build_channel, channel_class
from alerts.base import Channel
from alerts.delivery import send
from alerts.message import Group, Item, dashboard_url, inert
from alerts.posts import render_post
from alerts.transport import RateLimiter, RetryPolicy
from seamwatch.config import load_settings
from seamwatch.errors import ConfigError
from seamwatch.findings import Finding
from seamwatch.stage import Announcement
from tests.servers_chat import Behaviour

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
SECRET_TAIL = "T000/B000/XXXXsecretXXXX"
BASE_URL = "http://localhost:8501"


@dataclass(frozen=True)
class KindCase:
    """What the battery needs to know about one channel kind."""

    good: tuple[dict[str, Any], ...] = ({},)  # extra keys that must validate
    bad: tuple[tuple[dict[str, Any], str, str], ...] = ()  # (extra keys, key, message part)
    secrets: dict[str, str] = field(default_factory=dict)  # secret options and their values
    cut_marker: str | None = "more findings not shown (message size limit)"
    size_options: dict[str, Any] = field(default_factory=dict)


BATTERY: dict[str, KindCase] = {
    "slack": KindCase(
        good=({}, {"username": "Seamwatch", "icon_url": "https://example.com/i.png"}),
        bad=(({"username": 5}, "username", "input should be a valid string"),),
    ),
    "teams": KindCase(
        bad=(({"timeout": "fast"}, "timeout", "fast"),),
    ),
    "discord": KindCase(
        good=({}, {"username": "Seamwatch", "avatar_url": "https://example.com/a.png"}),
        bad=(({"avatar_url": ["x"]}, "avatar_url", "input should be a valid string"),),
    ),
    "google_chat": KindCase(
        bad=(({"min_interval": "soon"}, "min_interval", "soon"),),
    ),
    "mattermost": KindCase(
        good=({}, {"username": "Seamwatch"}),
        bad=(({"send_resolved": "maybe"}, "send_resolved", "maybe"),),
    ),
    "webhook": KindCase(
        good=({}, {"secret": "hmac-key-0123", "signing": "standard"}, {"max_alerts": 10}),
        bad=(
            ({"signing": "rot13"}, "signing", "'standard' or 'body'"),
            ({"max_alerts": -1}, "max_alerts", "greater than or equal to 0"),
        ),
        secrets={"secret": "hmac-key-0123"},
        cut_marker=None,  # cut to max_alerts, counted in truncatedAlerts
        size_options={"max_alerts": 50},
    ),
    "alertmanager": KindCase(
        good=({}, {"bearer_token": "am-token-0123", "resend_interval": "2m"}),
        bad=(({"resend_interval": "often"}, "resend_interval", "often"),),
        secrets={"bearer_token": "am-token-0123"},
        cut_marker=None,  # Alertmanager takes any number of alerts
    ),
}

KINDS = sorted(CHANNEL_KINDS)  # the registry drives the battery, not BATTERY


def case(kind: str) -> KindCase:
    if kind not in BATTERY:
        pytest.fail(f"channel kind {kind!r} is registered but has no entry in the battery")
    return BATTERY[kind]


def test_every_registered_kind_has_a_battery_entry_and_no_entry_is_stale():
    assert set(BATTERY) == set(CHANNEL_KINDS)


def test_importing_alerts_imports_no_channel_module():
    import subprocess
    import sys

    code = "import json, sys, alerts; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    modules = {path.partition(":")[0] for path in CHANNEL_KINDS.values()}
    assert modules.isdisjoint(json.loads(out.stdout))


def settings_for(workspace):
    return load_settings(workspace.config)


def channel(kind: str, url: str, workspace, **extra: Any) -> Channel:
    block = {"kind": kind, "url": url, "min_interval": "0s", **case(kind).secrets, **extra}
    return build_channel("team", block, settings_for(workspace), ("alerts", "channels", "team"))


def finding(i: int = 0, **changes: Any) -> Finding:
    values: dict[str, Any] = dict(
        finding_id=f"f{i}:1",
        fingerprint=f"f{i}",
        integration_id="crm-orders-to-erp",
        name="CRM orders to ERP",
        owner="payments",
        metric="error_rate",
        detector=f"d{i:03d}",
        severity="warning",
        summary="error rate drifted from 0.10% to 0.40% over 7 days",
        status="open",
        first_seen=NOW - timedelta(hours=2),
        last_seen=NOW,
        tier=1,
        runbook="https://runbooks.example.com/crm-orders",
        source_system="CRM",
        target_system="SAP ERP",
    )
    values.update(changes)
    return inert(Finding(**values))  # as the pipeline reads every finding


def group(findings: list[Finding], event: str = "open") -> Group:
    items = tuple(Item(f, event, dashboard_url(BASE_URL, f.integration_id), UTC) for f in findings)
    return Group("team", event, "owner=payments", items, NOW, None, (), BASE_URL, "m-0001")


def deliver(ch: Channel, payload, *, attempts: int = 1, sleeps: list[float] | None = None):
    clock = [0.0]
    return send(
        ch,
        payload,
        RetryPolicy(attempts, timedelta(milliseconds=1), timedelta(milliseconds=2)),
        sleep=(sleeps.append if sleeps is not None else lambda s: None),
        limiter=RateLimiter(clock=lambda: clock[0]),
    )


@pytest.mark.parametrize("kind", KINDS)
def test_config_good_blocks_build_and_bad_ones_name_the_key(kind, workspace):
    settings = settings_for(workspace)
    loc = ("alerts", "channels", "team")
    for extra in case(kind).good:
        block = {"kind": kind, "url": "https://chat.example.com/hook", **extra}
        assert build_channel("team", block, settings, loc).kind == kind
    with pytest.raises(ConfigError) as missing:
        build_channel("team", {"kind": kind}, settings, loc)
    assert "alerts.channels.team.url" in str(missing.value)
    with pytest.raises(ConfigError) as unknown:
        build_channel(
            "team", {"kind": kind, "url": "https://x.example", "colour": 1}, settings, loc
        )
    assert "alerts.channels.team.colour: unknown key" in str(unknown.value)
    for extra, key, message in case(kind).bad:
        block = {"kind": kind, "url": "https://chat.example.com/hook", **extra}
        with pytest.raises(ConfigError) as bad:
            build_channel("team", block, settings, loc)
        text = str(bad.value)
        assert f"alerts.channels.team.{key}" in text and message in text, text


@pytest.mark.parametrize("kind", KINDS)
def test_open_resolve_and_post_payloads_pass_the_service_format_check(kind, workspace, receiver):
    ch = channel(kind, receiver.url(kind, SECRET_TAIL), workspace)
    findings = [finding(0, severity="critical"), finding(1)]
    for event in ("open", "repeat", "resolve"):
        outcome = deliver(ch, ch.render(group(findings, event)))
        assert outcome.sent, outcome.error
    if channel_class(kind).accepts_posts:
        post = Announcement(
            "report:2026-W47",
            "Weekly review 2026-W47",
            ("a <b> & c", "Findings: 2 opened."),
            "https://x.example/r.html",
            "Full report",
        )
        assert deliver(ch, render_post(ch, post, "m-0002")).sent
    assert receiver.received and all(r.errors == [] for r in receiver.received), [
        r.errors for r in receiver.received
    ]
    text = receiver.received[0].text()
    assert "CRM orders to ERP" in text and "error rate drifted" in text


LIVE_MENTION = re.compile(r"<[!@#]|<users/|@(?:channel|here|all|everyone)\b", re.I)


@pytest.mark.parametrize("kind", KINDS)
def test_mentions_and_unsafe_links_are_neutralised(kind, workspace, receiver):
    ch = channel(kind, receiver.url(kind, SECRET_TAIL), workspace)
    hostile = finding(
        0,
        name="<!channel> CRM @here",
        owner="@everyone",
        summary="disk <@U123> full, ping <users/all> and @all",
        runbook="javascript:alert(1)",
        source_system="<!here>",
    )
    assert deliver(ch, ch.render(group([hostile]))).sent
    if channel_class(kind).accepts_posts:
        post = Announcement(
            "report:2026-W47",
            "Review @here",
            ("Worst new: <!channel> @everyone",),
            "https://x.example/r",
            "Full report",
        )
        assert deliver(ch, render_post(ch, post, "m-0003")).sent
    for got in receiver.received:
        assert got.errors == []
        text = got.text()
        assert not LIVE_MENTION.search(text), text
        assert "javascript:" not in got.raw.decode()


@pytest.mark.parametrize("kind", KINDS)
def test_a_large_group_and_a_long_post_fit_the_service_limits(kind, workspace, receiver):
    c = case(kind)
    ch = channel(kind, receiver.url(kind, SECRET_TAIL), workspace, **c.size_options)
    many = [finding(i, summary="error rate drifted; " + "x" * 400) for i in range(120)]
    assert deliver(ch, ch.render(group(many))).sent
    got = receiver.received[-1]
    assert got.errors == []
    if c.cut_marker:
        assert c.cut_marker in got.text()
    if channel_class(kind).accepts_posts:
        post = Announcement(
            "report:2026-W47",
            "Review",
            tuple("line " + "y" * 300 for _ in range(200)),
            "https://x.example/r",
            "Full report",
        )
        assert deliver(ch, render_post(ch, post, "m-0004")).sent
        assert receiver.received[-1].errors == []
        assert "https://x.example/r" in receiver.received[-1].text()  # the link survives the cut


@pytest.mark.parametrize("kind", KINDS)
def test_429_and_5xx_are_retried_honouring_retry_after_and_404_is_not(kind, workspace, receiver):
    ch = channel(kind, receiver.url(kind, SECRET_TAIL), workspace)
    receiver.script(
        f"/{kind}/",
        Behaviour(429, headers={"Retry-After": "7"}, body="slow down"),
        Behaviour(503, body="busy"),
    )
    sleeps: list[float] = []
    outcome = deliver(ch, ch.render(group([finding()])), attempts=3, sleeps=sleeps)
    assert outcome.sent and outcome.attempts == 3
    assert 7.0 in sleeps  # the wait the service asked for
    receiver.script(f"/{kind}/", Behaviour(404, body="no_service"))
    refused = deliver(ch, ch.render(group([finding()])), attempts=3)
    assert not refused.sent and refused.permanent and refused.attempts == 1
    assert refused.status == 404


@pytest.mark.parametrize("kind", KINDS)
def test_secrets_never_reach_logs_or_errors(kind, workspace, receiver, caplog):
    ch = channel(kind, receiver.url(kind, SECRET_TAIL), workspace)
    echo = f"cannot route {receiver.url(kind, SECRET_TAIL)} " + " ".join(
        case(kind).secrets.values()
    )
    receiver.script(f"/{kind}/", Behaviour(500, body=echo), Behaviour(500, body=echo))
    with caplog.at_level(logging.DEBUG):
        outcome = deliver(ch, ch.render(group([finding()])), attempts=2)
    assert not outcome.sent and outcome.error
    shown = caplog.text + outcome.error
    assert "HTTP 500" in shown
    for secret in (SECRET_TAIL, "XXXXsecretXXXX", *case(kind).secrets.values()):
        assert secret not in shown
    assert len(receiver.received) == 2
