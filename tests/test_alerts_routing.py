"""Routing, grouping (incl. shared systems), repeats, resolves, silences and maintenance windows."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.alerts_support import (
    FAST,
    T0,
    add_finding,
    configure,
    minutes,
    notifications,
    notifier,
    resolve,
)

ROUTED = """
[alerts]
{fast}
repeat_interval = "4h"
[alerts.channels.payments]
kind = "webhook"
url = "{base}/webhook/payments"
[alerts.channels.finance]
kind = "webhook"
url = "{base}/webhook/finance"
[alerts.channels.oncall]
kind = "webhook"
url = "{base}/webhook/oncall"
[alerts.channels.platform]
kind = "webhook"
url = "{base}/webhook/platform"
[alerts.channels.nightly]
kind = "webhook"
url = "{base}/webhook/nightly"

[[alerts.routes]]
name = "tier-1-critical-to-oncall"
match = {{ severity = "critical", tier = 1 }}
channels = ["oncall"]
continue = true

[[alerts.routes]]
name = "nightly-jobs"
match = {{ tags = "nightly" }}
channels = ["nightly"]

[[alerts.routes]]
match = {{ owner = ["logistics", "it"] }}
channels = ["platform"]

[alerts.default]
channels = ["platform"]
{extra}
"""


def routed(workspace, receiver, extra="", fast=FAST, top=""):
    return configure(workspace, ROUTED.format(fast=fast + top, base=receiver.base, extra=extra))


def sent_to(receiver, channel):
    return [r for r in receiver.received if r.path == f"/webhook/{channel}"]


def integrations_in(received) -> list[list[str]]:
    return [sorted(a["labels"]["integration"] for a in r.body["alerts"]) for r in received]


def test_chat_route_and_matching_routes_choose_the_channels(workspace, receiver):
    settings = routed(workspace, receiver, top="shared_system_grouping = false")
    add_finding(
        settings, "crm-orders-to-erp", severity="critical"
    )  # chat_route payments + oncall (continue)
    add_finding(settings, "payments-webhook", severity="warning")  # chat_route payments only
    add_finding(settings, "wms-stock-to-erp", detector="dlq")  # tag nightly: first match wins
    add_finding(settings, "hr-people-to-ad")  # owner it -> platform
    notifier(settings).run(T0 + minutes(1))
    assert integrations_in(sent_to(receiver, "oncall")) == [["crm-orders-to-erp"]]
    assert integrations_in(sent_to(receiver, "payments")) == [
        ["crm-orders-to-erp", "payments-webhook"]
    ]
    assert integrations_in(sent_to(receiver, "nightly")) == [["wms-stock-to-erp"]]
    assert integrations_in(sent_to(receiver, "platform")) == [["hr-people-to-ad"]]
    assert all(r.errors == [] for r in receiver.received)


def test_findings_no_route_matches_go_to_the_default_route(workspace, receiver):
    settings = routed(workspace, receiver, top='chat_route = "ignore"')
    add_finding(settings, "payments-webhook")
    notifier(settings).run(T0 + minutes(1))
    assert integrations_in(sent_to(receiver, "platform")) == [["payments-webhook"]]
    assert sent_to(receiver, "payments") == []


def test_group_wait_collects_findings_into_one_message(workspace, receiver):
    settings = routed(
        workspace, receiver, fast=FAST.replace('group_wait = "0s"', 'group_wait = "2m"')
    )
    add_finding(settings, "crm-orders-to-erp", first_seen=T0)
    n = notifier(settings)
    early = n.run(T0 + minutes(1))
    assert early.reports == [] and early.waiting == 1 and receiver.received == []
    add_finding(settings, "payments-webhook", first_seen=T0 + minutes(1.5))
    n.run(T0 + minutes(2))
    assert integrations_in(sent_to(receiver, "payments")) == [
        ["crm-orders-to-erp", "payments-webhook"]
    ]
    assert "2 findings for payments" in sent_to(receiver, "payments")[0].body["title"]


def test_findings_on_integrations_sharing_a_system_go_out_as_one_message_naming_it(
    workspace, receiver
):
    settings = routed(workspace, receiver)
    workspace.write(
        "config.toml", workspace.config.read_text().replace("continue = true", "continue = false")
    )
    from seamwatch.config import load_settings

    settings = load_settings(workspace.config)
    add_finding(settings, "crm-orders-to-erp")  # payments (chat_route), target SAP ERP
    add_finding(settings, "payments-webhook")  # payments, PSP -> Billing: not shared
    add_finding(settings, "shop-invoices-to-erp")  # finance (chat_route), target SAP ERP
    add_finding(settings, "wms-stock-to-erp")  # nightly route, target SAP ERP
    notifier(settings).run(T0 + minutes(1))
    payments = sent_to(receiver, "payments")
    assert len(payments) == 2
    system = next(r for r in payments if "SAP ERP" in r.body["title"])
    assert (
        system.body["title"]
        == "[WARNING] New: 3 integrations affected by SAP ERP (likely cause: SAP ERP)"
    )
    assert system.body["groupLabels"]["system"] == "SAP ERP"
    assert (
        "Shop invoices to ERP (finance)" in system.body["message"]
        and "WMS stock to ERP (logistics)" in system.body["message"]
    )
    assert "Owners: finance, logistics, payments" in system.body["message"]
    other = next(r for r in payments if r is not system)
    assert integrations_in([other]) == [["payments-webhook"]]
    assert integrations_in(sent_to(receiver, "finance")) == [["shop-invoices-to-erp"]]
    assert "SAP ERP" in sent_to(receiver, "finance")[0].body["title"]


def test_an_open_finding_is_repeated_at_the_interval_and_resolved_once(workspace, receiver):
    settings = routed(workspace, receiver)
    fid = add_finding(settings, "payments-webhook")
    n = notifier(settings)
    n.run(T0 + minutes(1))
    for m in (30, 120, 200):  # under 4h: nothing more
        assert n.run(T0 + minutes(m)).reports == []
    repeat = n.run(T0 + minutes(1) + timedelta(hours=4))
    assert [r.event for r in repeat.reports] == ["repeat"]
    assert sent_to(receiver, "payments")[-1].body["title"].startswith("[WARNING] Still open:")
    assert n.run(T0 + minutes(5) + timedelta(hours=4)).reports == []
    resolve(settings, fid, T0 + timedelta(hours=5))
    done = n.run(T0 + timedelta(hours=5, minutes=1))
    assert [r.event for r in done.reports] == ["resolve"]
    assert n.run(T0 + timedelta(hours=9)).reports == []
    assert [r["event"] for r in notifications(settings)] == ["open", "repeat", "resolve"]
    assert len(sent_to(receiver, "payments")) == 3


def test_a_finding_that_resolves_before_anyone_was_told_sends_nothing(workspace, receiver):
    settings = routed(
        workspace, receiver, fast=FAST.replace('group_wait = "0s"', 'group_wait = "5m"')
    )
    fid = add_finding(settings, "payments-webhook")
    n = notifier(settings)
    n.run(T0 + minutes(1))
    resolve(settings, fid, T0 + minutes(2))
    assert n.run(T0 + minutes(10)).reports == [] and receiver.received == []


def test_send_resolved_false_skips_resolve_messages(workspace, receiver):
    settings = routed(workspace, receiver)
    workspace.write(
        "config.toml",
        workspace.config.read_text().replace(
            f'url = "{receiver.base}/webhook/payments"',
            f'url = "{receiver.base}/webhook/payments"\nsend_resolved = false',
        ),
    )
    from seamwatch.config import load_settings

    settings = load_settings(workspace.config)
    fid = add_finding(settings, "payments-webhook")
    n = notifier(settings)
    n.run(T0 + minutes(1))
    resolve(settings, fid, T0 + minutes(20))
    assert n.run(T0 + minutes(21)).reports == []


def test_a_silence_mutes_matching_findings_records_them_and_lets_them_through_when_expired(
    workspace, receiver, cli
):
    settings = routed(workspace, receiver)
    added = cli(
        "silence",
        "add",
        "--match",
        "integration=payments-*",
        "--match",
        "severity=warning",
        "--start",
        "2026-11-20T07:00Z",
        "--end",
        "2026-11-20T09:00Z",
        "--comment",
        "PSP upgrade",
        "--author",
        "ana",
        now=T0,  # the scenario's now
    )
    assert added.code == 0, added.err
    silence_id = added.out.split()[1]
    add_finding(settings, "payments-webhook")
    add_finding(settings, "crm-orders-to-erp")
    n = notifier(settings)
    result = n.run(T0 + minutes(1))
    assert result.silenced == 1
    assert integrations_in(sent_to(receiver, "payments")) == [["crm-orders-to-erp"]]
    (muted,) = notifications(settings, "status = 'silenced'")
    assert (
        muted["integration_id"] == "payments-webhook"
        and muted["silenced_by"] == f"silence:{silence_id}"
    )
    assert n.run(T0 + minutes(2)).silenced == 0  # recorded once, not every cycle
    listing = cli("silence", "list", "--all", now=T0)
    assert silence_id in listing.out and "PSP upgrade" in listing.out and "ana" in listing.out
    # The silence ends: the finding, still open, is sent.
    n.run(T0 + minutes(121))
    assert integrations_in(sent_to(receiver, "payments"))[-1] == ["payments-webhook"]


def test_silence_expire_ends_it_early(workspace, receiver, cli):
    routed(workspace, receiver)
    added = cli(
        "silence", "add", "-m", "owner=payments", "--duration", "2h", "-c", "deploy", now=T0
    )
    assert added.out.endswith("until 2026-11-20 10:00 UTC (2h)\n")
    silence_id = added.out.split()[1]
    assert cli("silence", "expire", silence_id[:6], now=T0 + minutes(30)).code == 0
    assert silence_id not in cli("silence", "list", now=T0 + minutes(31)).out
    assert "expired" in cli("silence", "list", "--all", now=T0 + minutes(31)).out
    again = cli("silence", "expire", silence_id, now=T0 + minutes(32))
    assert again.code == 2 and "already expired" in again.err
    bad = cli("silence", "add", "-m", "colour=red", "-c", "x", now=T0)
    assert bad.code == 2 and "unknown field 'colour'" in bad.err


@pytest.mark.parametrize(
    ("at", "muted"),
    [
        (T0.replace(hour=1, minute=59), False),
        (T0.replace(hour=2, minute=30), True),
        (T0.replace(hour=4, minute=0), False),
    ],
)
def test_a_recurring_maintenance_window_mutes_findings_while_it_is_open(
    workspace, receiver, at, muted
):
    # 2026-11-20 is a Friday; the window opens Fridays 03:00 Europe/Berlin (02:00 UTC) for 2 hours.
    settings = routed(
        workspace,
        receiver,
        extra="""
[[alerts.maintenance]]
name = "erp-patching"
cron = "0 3 * * fri"
duration = "2h"
timezone = "Europe/Berlin"
match = { system = "SAP ERP" }
""",
    )
    add_finding(settings, "crm-orders-to-erp", first_seen=at - minutes(5))
    add_finding(settings, "payments-webhook", first_seen=at - minutes(5))
    result = notifier(settings).run(at)
    assert result.silenced == (1 if muted else 0)
    sent = {i for batch in integrations_in(sent_to(receiver, "payments")) for i in batch}
    assert ("crm-orders-to-erp" in sent) is not muted and "payments-webhook" in sent
    if muted:
        (row,) = notifications(settings, "status = 'silenced'")
        assert row["silenced_by"] == "maintenance:erp-patching@2026-11-20T02:00Z"


def test_check_names_bad_alert_config_in_one_line(workspace, cli):
    configure(
        workspace,
        """
        [alerts.channels.x]
        kind = "slack"
        url = "https://hooks.example.com/x"
        [[alerts.routes]]
        channels = ["nope"]
        """,
        more_inventory=False,
    )
    result = cli("check")
    assert result.code == 2 and "alerts.routes[0].channels" in result.out and "'nope'" in result.out
    workspace.write(
        "config.toml", workspace.config.read_text().replace('kind = "slack"', 'kind = "pager"')
    )
    result = cli("check")
    assert "alerts.channels.x.kind" in result.out and "'pager'" in result.out
    workspace.write(
        "config.toml",
        workspace.config.read_text().replace('kind = "pager"', 'kind = "slack"\nurll = "x"'),
    )
    assert "alerts.channels.x.urll: unknown key" in cli("check").out
    workspace.write(
        "config.toml",
        workspace.config.read_text()
        .replace('channels = ["nope"]', 'channels = ["x"]')
        .replace('urll = "x"', ""),
    )
    result = cli("check")
    assert "warning: " in result.out and "crm-orders-to-erp.chat_route" in result.out
    assert "'payments' names no channel" in result.out
    assert result.code == 0  # a warning: the findings follow the routes instead


def test_check_reads_the_inventory_once_and_still_warns_about_a_chat_route(
    workspace, cli, monkeypatch
):
    import seamwatch.inventory
    from cli import common as cli_common  # `import cli.common` would hide the `cli` fixture

    configure(
        workspace,
        """
        [alerts.channels.finance]
        kind = "slack"
        url = "https://hooks.example.com/x"
        """,
    )
    loads: list[object] = []

    def counted(real):
        def load(*args, **kwargs):
            loads.append(args)
            return real(*args, **kwargs)

        return load

    for module in (cli_common, seamwatch.inventory):
        monkeypatch.setattr(module, "load_inventory", counted(module.load_inventory))
    result = cli("check")
    assert (
        "crm-orders-to-erp.chat_route" in result.out and "'payments' names no channel" in result.out
    )
    assert result.code == 0 and len(loads) == 1


def test_notify_dry_run_prints_payloads_and_sends_and_records_nothing(workspace, receiver, cli):
    settings = routed(workspace, receiver)
    add_finding(settings, "payments-webhook")
    later = (T0 + minutes(1)).isoformat()
    result = cli("notify", "--dry-run", "--now", later)
    assert result.code == 0 and '"version": "4"' in result.out and "Payments webhook" in result.out
    assert "1 message(s) would be sent" in result.out
    assert receiver.received == [] and notifications(settings) == []
    real = cli("notify", "--now", later)
    assert real.code == 0 and "1 sent" in real.out and len(receiver.received) == 1
