"""Config validation: every bad input gives one line naming the file, key and what is wrong."""

from __future__ import annotations

from datetime import timedelta

import pytest

from seamwatch.config import load_settings
from seamwatch.durations import parse_duration
from seamwatch.errors import ConfigError


def error_for(workspace, text: str) -> str:
    workspace.write("config.toml", text)
    with pytest.raises(ConfigError) as info:
        load_settings(workspace.config)
    message = str(info.value)
    assert "\n" not in message
    assert str(workspace.config) in message
    return message


def test_defaults_load_from_a_minimal_file(workspace):
    workspace.write("config.toml", "")
    settings = load_settings(workspace.config)
    assert settings.store_path == workspace.root / "data" / "seamwatch.duckdb"
    assert settings.store.raw_retention == timedelta(days=42)


def test_missing_file_is_named(tmp_path):
    with pytest.raises(ConfigError, match=r"nope\.toml: file not found"):
        load_settings(tmp_path / "nope.toml")


def test_toml_syntax_error_names_the_line(workspace):
    message = error_for(workspace, '[store]\npath = "a"\nraw_retention = \n')
    assert ":3:" in message and "TOML syntax error" in message


def test_unknown_key_is_named_with_its_line(workspace):
    message = error_for(workspace, '[store]\npath = "a"\nretention_raw = "3d"\n')
    assert message.endswith("config.toml:3: store.retention_raw: unknown key")


def test_wrong_type_names_the_key(workspace):
    message = error_for(workspace, '[app]\nport = "eighty"\n')
    assert "app.port" in message and "'eighty'" in message


def test_bad_duration_names_key_and_value(workspace):
    message = error_for(
        workspace, '[[sources]]\nname = "demo"\nkind = "demo"\ninterval = "5 parsecs"\n'
    )
    assert "sources[0].interval" in message
    assert "'5 parsecs' is not a duration" in message
    assert ":4:" in message


def test_unset_environment_variable_is_named(workspace, monkeypatch):
    monkeypatch.delenv("SEAMWATCH_TEST_UNSET", raising=False)
    message = error_for(workspace, '[store]\npath = "${SEAMWATCH_TEST_UNSET}"\n')
    assert "store.path: environment variable SEAMWATCH_TEST_UNSET is not set" in message


def test_environment_variables_are_interpolated(workspace, monkeypatch):
    monkeypatch.setenv("SW_STORE", "elsewhere.duckdb")
    workspace.write(
        "config.toml", '[store]\npath = "${SW_STORE}"\nspool_dir = "${SW_SPOOL:-spool2}"\n'
    )
    settings = load_settings(workspace.config)
    assert settings.store_path.name == "elsewhere.duckdb"
    assert settings.spool_path.name == "spool2"


def test_duplicate_source_names_are_refused(workspace):
    message = error_for(
        workspace,
        '[[sources]]\nname = "a"\nkind = "demo"\n[[sources]]\nname = "a"\nkind = "demo"\n',
    )
    assert "source name 'a' is used twice" in message


def test_config_path_from_environment(workspace, monkeypatch):
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(workspace.config))
    assert load_settings().config_path == workspace.config.resolve()


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("90s", 90), ("5m", 300), ("1h30m", 5400), ("14d", 14 * 86400), ("2w", 14 * 86400), (30, 30)],
)
def test_durations_parse(text, seconds):
    assert parse_duration(text).total_seconds() == seconds


@pytest.mark.parametrize("text", ["5 parsecs", "", "m5", "-3s", "1h 30"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError, match=r"duration|negative"):
        parse_duration(text)
