"""The dashboard's small rules, without a browser: silences, sign-in patterns, chart resolution,
the flow graph and the [app] config section."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pandas as pd
import pytest

from app.auth import allowed
from app.charts import flow_graph
from app.silences import silenced_mask
from seamwatch.config import load_settings
from seamwatch.errors import ConfigError
from seamwatch.silences import SilenceError, add_silence, describe
from seamwatch.store import Store
from tests.pinned_clock import PINNED

pytestmark = pytest.mark.pinned_clock

NOW = PINNED


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "seamwatch.duckdb")
    s.migrate()
    return s


def test_a_silence_is_stored_with_its_matchers_window_author_and_reason(store: Store) -> None:
    silence_id = add_silence(
        store,
        {"integration_id": "crm-orders-to-erp", "metric": "error_rate", "detector": ""},
        ends_at=NOW + timedelta(hours=4),
        comment="  ERP release tonight ",
        author="ana@example.com",
        now=NOW,
    ).silence_id
    row = store.query("SELECT * FROM v_silences WHERE silence_id = ?", [silence_id]).iloc[0]
    assert json.loads(row["matchers"]) == {
        "integration_id": "crm-orders-to-erp",
        "metric": "error_rate",
    }
    assert row["starts_at"] == pd.Timestamp(NOW) and row["ends_at"] == pd.Timestamp(
        NOW + timedelta(hours=4)
    )
    assert (row["comment"], row["author"]) == ("ERP release tonight", "ana@example.com")


@pytest.mark.parametrize(
    ("matchers", "comment", "author", "ends", "message"),
    [
        ({}, "why", "ana", timedelta(hours=1), "needs at least one matcher"),
        ({"colour": "red"}, "why", "ana", timedelta(hours=1), "unknown field 'colour'"),
        ({"integration_id": "x"}, " ", "ana", timedelta(hours=1), "say why"),
        ({"integration_id": "x"}, "why", "", timedelta(hours=1), "say who"),
        ({"integration_id": "x"}, "why", "ana", -timedelta(hours=1), "must end after it starts"),
    ],
)
def test_a_silence_filled_in_wrongly_is_refused_with_the_reason(
    store: Store, matchers: dict[str, str], comment: str, author: str, ends: timedelta, message: str
) -> None:
    with pytest.raises(SilenceError, match=message):
        add_silence(store, matchers, ends_at=NOW + ends, comment=comment, author=author, now=NOW)
    assert store.scalar("SELECT count(*) FROM silences") == 0


def test_a_silence_mutes_findings_matching_all_its_matchers() -> None:
    findings = pd.DataFrame(
        {
            "finding_id": ["f1", "f2", "f3"],
            "fingerprint": ["f1", "f2", "f3"],
            "integration_id": ["a", "a", "b"],
            "name": [None, None, None],
            "owner": [None, None, None],
            "metric": ["error_rate", "dlq_depth", "error_rate"],
            "detector": ["drift", "dlq_growth", "drift"],
            "severity": ["warning"] * 3,
            "summary": ["s"] * 3,
            "status": ["open"] * 3,
            "first_seen": [NOW] * 3,
            "last_seen": [NOW] * 3,
        }
    )
    active = pd.DataFrame(
        {"matchers": [json.dumps({"integration_id": "a", "metric": "error_rate"})]}
    )
    assert silenced_mask(findings, active).tolist() == [True, False, False]
    whole = pd.DataFrame({"matchers": ['{"integration_id": "b"}']})
    assert silenced_mask(findings, whole).tolist() == [False, False, True]
    # as `seamwatch silence` writes them: aliases, lists and shell wildcards
    cli = pd.DataFrame({"matchers": ['{"integration": ["a*", "c"], "detector": "dlq_*"}']})
    assert silenced_mask(findings, cli).tolist() == [False, True, False]
    unknown_field = pd.DataFrame({"matchers": ['{"tag": "pci"}']})
    assert silenced_mask(findings, unknown_field).tolist() == [False, False, False]
    assert describe({"metric": "x", "integration_id": "a"}) == "integration_id=a, metric=x"


def test_allowed_emails_are_glob_patterns_and_empty_means_anyone_signed_in() -> None:
    assert allowed("ana@example.com", [])
    assert allowed("Ana@Example.com", ["*@example.com"])
    assert not allowed("eve@evil.test", ["*@example.com"])
    assert not allowed(None, ["*@example.com"])


def test_the_flow_graph_links_systems_and_escapes_names() -> None:
    fleet = pd.DataFrame(
        {
            "integration_id": ["a-to-b", "legacy"],
            "name": ['Say "hi"', "Old"],
            "source_system": ["CRM", 'Mainframe "Z"'],
            "target_system": ["ERP", "ERP"],
            "health": ["degrading", "ok"],
            "lifecycle": ["active", "deprecated"],
        }
    )
    dot = flow_graph(fleet)
    assert '"CRM" -> "ERP" [label="a-to-b", color="#ff9f1a"' in dot
    assert '"Mainframe \\"Z\\"" -> "ERP"' in dot and "style=dashed" in dot
    assert 'URL="integration?integration=a-to-b"' in dot


def test_an_unknown_time_zone_in_app_config_is_a_one_line_error(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text('[app]\ntimezone = "Europe/Atlantis"\n', encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        load_settings(config)
    message = str(err.value)
    assert "app.timezone" in message and "'Europe/Atlantis' is not a time zone" in message
    assert "\n" not in message
