"""`seamwatch check`: every problem of config.toml and the inventory, one line each."""

from __future__ import annotations

from tests.conftest import CONFIG


def write_config(workspace, extra: str) -> None:
    workspace.write("config.toml", CONFIG + "\n" + extra)


def second_team(workspace, chat_route: str) -> None:
    workspace.write(
        "inventory/billing.toml",
        f"""
        [[integration]]
        id = "billing-export"
        name = "Billing export"
        chat_route = "{chat_route}"
        source_system = "Billing"
        target_system = "DWH"
        pattern = "batch"
        tier = 3
        """,
    )


def test_check_warns_about_every_unknown_chat_route(cli, workspace):
    write_config(
        workspace,
        """
[alerts.channels.ops]
kind = "slack"
url = "https://hooks.example.com/ops"
""",
    )
    second_team(workspace, "billing")
    result = cli("check")
    warnings = [line for line in result.out.splitlines() if line.startswith("warning: ")]
    assert len(warnings) == 3, result.out  # both payments integrations, and billing
    assert any("billing-export.chat_route: chat_route 'billing'" in w for w in warnings)
    assert any("payments-webhook.chat_route: chat_route 'payments'" in w for w in warnings)
    assert result.code == 0 and result.out.strip().endswith("ok")


def test_channel_url_must_be_http_and_is_never_echoed(cli, workspace, monkeypatch):
    monkeypatch.setenv("SLACK_URL", "")
    monkeypatch.setenv("TEAMS_URL", "hooks-secret-token-123")
    write_config(
        workspace,
        """
[alerts.channels.ops]
kind = "slack"
url = "${SLACK_URL}"

[alerts.channels.finance]
kind = "teams"
url = "${TEAMS_URL}"

[alerts.channels.audit]
kind = "webhook"
url = "ftp://files.example.com/x"
""",
    )
    result = cli("check")
    config = workspace.config
    assert (
        f"error: {config}:20: alerts.channels.ops.url: is empty "
        "(after ${VAR} interpolation of ${SLACK_URL})" in result.out
    )
    assert (
        f"error: {config}:24: alerts.channels.finance.url: is not an http(s) URL "
        "(after ${VAR} interpolation of ${TEAMS_URL})" in result.out
    )
    assert f"error: {config}:28: alerts.channels.audit.url: is not an http(s) URL" in result.out
    assert "hooks-secret-token-123" not in result.out + result.err
    assert "3 problems found" in result.out and result.code == 2
    # the notifier refuses it too, with the first line
    assert cli("notify", "--dry-run").code == 2


def test_thresholds_for_an_integration_in_no_inventory_file_are_a_warning(cli, workspace):
    write_config(
        workspace,
        """
[detectors.integrations.crm-orders-to-erp.throughput]
change = 0.5

[detectors.integrations.no-such-thing.throughput]
change = 0.5
""",
    )
    result = cli("check")
    assert (
        f"warning: {workspace.config}:21: detectors.integrations.no-such-thing: "
        "'no-such-thing' is in no inventory file" in result.out
    )
    assert "detectors.integrations.crm-orders-to-erp" not in result.out
    assert result.code == 0 and result.out.strip().endswith("ok")


def test_detectors_enabled_and_disabled_together_is_an_error(cli, workspace):
    write_config(
        workspace,
        """
[detectors]
enabled = ["trend", "no_data"]
disabled = ["no_data"]
""",
    )
    result = cli("check")
    assert (
        f"error: {workspace.config}:18: detectors: set either enabled (only these detectors run) "
        "or disabled (all but these), not both" in result.out
    )
    assert result.code == 2


def test_a_source_naming_an_integration_in_no_inventory_file_is_a_warning(cli, workspace):
    write_config(
        workspace,
        """
[[sources]]
name = "ipaas"
kind = "http_json"
url = "http://127.0.0.1:1/flows/{integration}"
integrations = ["crm-orders-to-erp", "ghost-link"]
metrics = { throughput = "rate" }
""",
    )
    result = cli("check")
    assert (
        f"warning: {workspace.config}: sources[1]: names integration 'ghost-link', which is in "
        "no inventory file (collected anyway and shown as not inventoried)" in result.out
    )
    assert "'crm-orders-to-erp'" not in result.out
    assert result.code == 0 and result.out.strip().endswith("ok")


def test_an_unset_variable_is_one_line_with_its_line_and_other_commands_stop_at_the_first(
    cli, workspace, monkeypatch
):
    monkeypatch.delenv("SEAMWATCH_TEST_UNSET_URL", raising=False)
    write_config(
        workspace,
        """
[alerts.channels.ops]
kind = "slack"
url = "${SEAMWATCH_TEST_UNSET_URL}"

[app]
port = 0
refresh = "often"
""",
    )
    result = cli("check")
    errors = [line for line in result.out.splitlines() if line.startswith("error: ")]
    assert errors == [
        f"error: {workspace.config}:20: alerts.channels.ops.url: "
        "environment variable SEAMWATCH_TEST_UNSET_URL is not set",
        f"error: {workspace.config}:23: app.port: 0: input should be greater than or equal to 1",
        f"error: {workspace.config}:24: app.refresh: 'often' is not a duration "
        '(write e.g. "30s", "5m", "1h30m", "7d", "2w")',
    ]
    monkeypatch.setenv("SEAMWATCH_TEST_UNSET_URL", "https://hooks.example.com/ops")
    result = cli("sources")
    assert result.code == 2 and result.err.count("\n") == 1
    assert "app.port" in result.err and result.err.strip().endswith("(and 1 more error)")
