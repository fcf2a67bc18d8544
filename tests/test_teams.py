"""Teams (issue 15): an optional `[[team]]` entity in inventory files says who an owner slug is
(name, members, contacts, chat and on-call links); an owner no team declares stays allowed; each
integration knows its file and line, for an "edit in your repository" link."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from seamwatch.config import load_settings
from seamwatch.errors import ConfigError
from seamwatch.inventory import load_inventory
from seamwatch.store import Store

NOW = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)

TEAM = """
[[team]]
id = "payments"
name = "Payments Platform"
members = ["Ana Souza", "Tom Becker"]
contacts = ["payments-oncall@example.com"]
chat = "https://chat.example.com/channels/payments"
oncall = "https://oncall.example.com/schedules/payments"
"""


def load(workspace):
    return load_inventory(["inventory/*.toml"], workspace.root)


def test_a_team_declared_beside_the_integrations_is_loaded_with_its_place(workspace) -> None:
    path = workspace.root / "inventory" / "payments.toml"
    path.write_text(path.read_text() + TEAM)
    inventory = load(workspace)
    assert not inventory.errors
    team = inventory.teams["payments"]
    assert team.name == "Payments Platform" and team.members == ["Ana Souza", "Tom Becker"]
    assert team.oncall == "https://oncall.example.com/schedules/payments"
    file, line = inventory.team_origin["payments"]
    assert file == path and path.read_text().splitlines()[line - 1] == "[[team]]"
    # every integration knows the line of its [[integration]] header
    lines = path.read_text().splitlines()
    crm_line = inventory.lines["crm-orders-to-erp"]
    assert lines[crm_line - 1] == "[[integration]]"
    assert lines[crm_line] == 'id = "crm-orders-to-erp"'


def test_a_broken_team_is_reported_with_file_key_and_line_and_the_rest_loads(workspace) -> None:
    workspace.write(
        "inventory/teams.toml",
        """
        [[team]]
        id = "sales"
        name = "Sales"
        chat = "chat.example.com/sales"

        [[team]]
        id = "payments"
        name = "Payments"

        [[team]]
        id = "payments"
        name = "Payments again"
        """,
    )
    inventory = load(workspace)
    texts = [str(e) for e in inventory.errors]
    assert any("teams.toml" in t and "team[0].chat" in t and "is not a link" in t for t in texts), (
        texts
    )
    assert any("duplicate team id 'payments'" in t and "team[2].id" in t for t in texts), texts
    assert set(inventory.teams) == {"payments"} and inventory.teams["payments"].name == "Payments"
    assert "crm-orders-to-erp" in inventory  # the integrations still load


def test_check_names_a_broken_team(cli, workspace) -> None:
    workspace.write("inventory/teams.toml", '[[team]]\nid = "Bad Id"\nname = "x"\n')
    result = cli("check")
    assert result.code != 0
    assert "teams.toml" in result.out + result.err and "team[0].id" in result.out + result.err


def test_teams_and_owners_without_a_team_are_in_v_teams(workspace) -> None:
    path = workspace.root / "inventory" / "payments.toml"
    path.write_text(path.read_text().replace('owner = "payments"', 'owner = "billing"') + TEAM)
    store = Store(workspace.store_path)
    store.migrate()
    store.sync_inventory(load(workspace), NOW)
    rows = store.query("SELECT * FROM v_teams ORDER BY team_id").set_index("team_id")
    assert bool(rows.loc["payments", "declared"]) and rows.loc["payments", "integrations"] == 0
    assert list(rows.loc["payments", "members"]) == ["Ana Souza", "Tom Becker"]
    assert not bool(rows.loc["billing", "declared"])  # an owner slug alone is still allowed
    assert rows.loc["billing", "name"] == "billing" and rows.loc["billing", "integrations"] >= 1
    line = store.scalar(
        "SELECT origin_line FROM v_integrations WHERE integration_id = 'crm-orders-to-erp'"
    )
    assert path.read_text().splitlines()[line] == 'id = "crm-orders-to-erp"'


def test_repo_url_builds_the_edit_link_from_file_and_line(workspace) -> None:
    workspace.config.write_text(
        workspace.config.read_text()
        + '\n[app]\nrepo_url = "https://git.example.com/inv/-/blob/main/{path}#L{line}"\n'
    )
    settings = load_settings(workspace.config)
    origin = str(workspace.root / "inventory" / "payments.toml")
    assert (
        settings.app.edit_url(origin, 9, settings.base_dir)
        == "https://git.example.com/inv/-/blob/main/inventory/payments.toml#L9"
    )
    assert settings.app.edit_url(None, 9, settings.base_dir) is None


@pytest.mark.parametrize(
    "value", ["git.example.com/{path}", "https://git.example.com/blob/main", "https://x/{file}"]
)
def test_a_repo_url_that_is_no_link_template_is_a_one_line_error(
    workspace, value: str, tmp_path: Path
) -> None:
    workspace.config.write_text(workspace.config.read_text() + f'\n[app]\nrepo_url = "{value}"\n')
    with pytest.raises(ConfigError, match=r"app\.repo_url") as caught:
        load_settings(workspace.config)
    assert "\n" not in str(caught.value)
