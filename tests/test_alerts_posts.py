"""The weekly review's chat post goes through the alerts outbox and channels (no second renderer).

`cli/report.py` writes the review with `reports` and hands its summary to `alerts.posts`; the
post is rendered by the channel kind's own renderer, claimed in the outbox (event `report`),
delivered with retries and recorded, and never re-sent by a later notify cycle.
"""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta

import pytest

from seamwatch.config import load_settings
from seamwatch.store import Store
from tests.alerts_support import notifier
from tests.servers_chat import Behaviour

NOW = datetime(2026, 11, 24, 9, tzinfo=UTC)


def configure(workspace, reports: str, alerts: str = "") -> Store:
    workspace.write(
        "config.toml",
        workspace.config.read_text(encoding="utf-8") + f"\n[reports]\n{reports}\n{alerts}\n",
    )
    store = Store.from_settings(load_settings(workspace.config))
    store.migrate()
    return store


def recorded(store: Store) -> list[tuple]:
    with store.read() as con:
        return con.execute(
            "SELECT n.channel, n.event, n.status, m.kind, m.event, m.status FROM v_notifications n"
            " JOIN v_alert_messages m USING (message_id) WHERE n.event = 'report'"
        ).fetchall()


@pytest.mark.parametrize(
    ("written", "service", "kind"),
    [("google-chat", "google_chat", "google_chat"), ("json", "webhook", "webhook")],
)
def test_earlier_post_format_spellings_still_post_as_the_channel_kind(
    workspace, cli, receiver, monkeypatch, written, service, kind
):
    monkeypatch.setenv("REPORT_WEBHOOK", receiver.url(service))
    store = configure(workspace, f'post_url = "${{REPORT_WEBHOOK}}"\npost_format = "{written}"')
    result = cli("report", "--week", "2026-W47", "--post", now=NOW)
    assert result.code == 0, result.err
    (got,) = receiver.received
    assert got.errors == []
    assert "Weekly review 2026-W47" in got.text() and "Full report" in got.text()
    assert recorded(store) == [("reports", "report", "sent", kind, "report", "sent")]


def test_chat_route_naming_an_alerts_channel_posts_through_it(
    workspace, cli, receiver, monkeypatch
):
    monkeypatch.setenv("SLACK_URL", receiver.url("slack"))
    store = configure(
        workspace,
        'chat_route = "review"\nlink_base = "https://seamwatch.example.com/reports"',
        '[alerts.channels.review]\nkind = "slack"\nurl = "${SLACK_URL}"\nusername = "Seamwatch"',
    )
    result = cli("report", "--week", "2026-W47", "--post", now=NOW)
    assert result.code == 0, result.err
    assert "posted the summary to review" in result.out
    (got,) = receiver.received
    assert got.errors == [] and got.body["username"] == "Seamwatch"
    assert "<https://seamwatch.example.com/reports/2026-W47.html|Full report>" in got.body["text"]
    assert recorded(store) == [("review", "report", "sent", "slack", "report", "sent")]
    with store.read() as con:
        assert con.execute("SELECT posted_at IS NOT NULL FROM v_reports").fetchone() == (True,)


def test_a_post_to_an_unknown_channel_or_an_alertmanager_is_refused_before_writing(
    workspace, cli, tmp_path
):
    configure(
        workspace,
        'chat_route = "am"',
        '[alerts.channels.am]\nkind = "alertmanager"\nurl = "http://127.0.0.1:9"',
    )
    out = tmp_path / "review"
    result = cli("report", "--week", "2026-W47", "--out", str(out), "--post", now=NOW)
    assert result.code == 2 and not out.exists()
    assert "reports.chat_route: a alertmanager channel carries alerts only, not posts" in result.err
    workspace.write(
        "config.toml",
        workspace.config.read_text().replace('chat_route = "am"', 'chat_route = "nope"'),
    )
    result = cli("report", "--week", "2026-W47", "--out", str(out), "--post", now=NOW)
    assert result.code == 2 and not out.exists()
    assert (
        "reports.chat_route: no post URL and no channel named 'nope' in [alerts.channels]"
        in result.err
    )


def test_an_unreachable_webhook_is_retried_then_recorded_undelivered_and_never_resent(
    workspace, cli, receiver, monkeypatch, caplog
):
    monkeypatch.setenv("REPORT_WEBHOOK", "http://127.0.0.1:9/hooks/secret-token")
    store = configure(
        workspace,
        'post_url = "${REPORT_WEBHOOK}"',
        '[alerts]\nbackoff = "10ms"\nmax_backoff = "20ms"\n'
        f'[alerts.channels.hook]\nkind = "webhook"\nurl = "{receiver.url("webhook")}"',
    )
    with caplog.at_level(logging.DEBUG):
        result = cli("report", "--week", "2026-W47", "--post", now=NOW)
    assert result.code == 2
    assert result.err.startswith(
        "seamwatch: report 2026-W47 written, but posting failed: the chat webhook did not accept "
        "the message: connection failed: ConnectError"
    )
    assert (
        caplog.text.count("failed: connection failed") == 3
        and "secret-token" not in caplog.text + result.err
    )
    assert recorded(store) == [
        ("reports", "report", "undelivered", "slack", "report", "undelivered")
    ]
    # A notify cycle later retries alerts, not the post.
    assert notifier(load_settings(workspace.config)).run(NOW).reports == []
    assert receiver.received == []


def test_a_rate_limited_post_waits_as_asked_and_a_redirect_is_refused(
    workspace, cli, receiver, monkeypatch
):
    monkeypatch.setenv("REPORT_WEBHOOK", receiver.url("discord"))
    store = configure(workspace, 'post_url = "${REPORT_WEBHOOK}"\npost_format = "discord"')
    receiver.script("/discord/", Behaviour(429, headers={"Retry-After": "0"}, body="slow down"))
    assert cli("report", "--week", "2026-W47", "--post", now=NOW).code == 0
    assert len(receiver.received) == 2 and receiver.received[-1].errors == []
    body = receiver.received[-1].body
    assert body["allowed_mentions"] == {"parse": []} and "[Full report](file://" in body["content"]
    receiver.script(
        "/discord/", Behaviour(302, headers={"Location": "http://127.0.0.1:9/x"}, body="")
    )
    again = NOW + timedelta(hours=1)  # posted again later: a new post
    result = cli("report", "--week", "2026-W47", "--post", now=again)
    assert result.code == 2 and "(HTTP 302); check the URL" in result.err
    assert [r[2] for r in recorded(store)] == ["sent", "undelivered"]
    assert json.loads(receiver.received[-1].raw)["content"] == body["content"]
