"""CLI defects found in review: options at either level, clean one-line errors, early refusals."""

from __future__ import annotations

import pytest

from tests.conftest import Workspace


def run_from(
    directory, capsys: pytest.CaptureFixture[str], *args: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run `seamwatch ARGS` in-process from `directory`, exactly as given (no --config added)."""
    from seamwatch.cli import main

    monkeypatch.chdir(directory)
    monkeypatch.delenv("SEAMWATCH_CONFIG", raising=False)
    capsys.readouterr()
    code = main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_config_before_the_silence_action_is_the_config_used(
    workspace: Workspace, tmp_path_factory, capsys, monkeypatch
):
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    config = str(workspace.config)
    code, out, err = run_from(
        elsewhere,
        capsys,
        *("silence", "--config", config, "add", "-m", "integration=crm-orders-to-erp"),
        *("--duration", "1h", "-c", "maintenance"),
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    assert "crm-orders-to-erp" in out
    assert not (elsewhere / "config.toml").exists() and not (elsewhere / "data").exists()
    code, out, err = run_from(
        elsewhere, capsys, "silence", "--config", config, "list", monkeypatch=monkeypatch
    )
    assert code == 0, err
    assert "crm-orders-to-erp" in out and "maintenance" in out


def test_config_before_the_channels_action_is_the_config_used(
    workspace: Workspace, tmp_path_factory, capsys, monkeypatch
):
    workspace.write(
        "config.toml",
        workspace.config.read_text()
        + '\n[alerts.channels.ops]\nkind = "webhook"\nurl = "http://127.0.0.1:9/hook"\n',
    )
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    code, out, err = run_from(
        elsewhere,
        capsys,
        *("channels", "--config", str(workspace.config), "list"),
        monkeypatch=monkeypatch,
    )
    assert code == 0, err
    assert out.startswith("ops ") and "webhook" in out


def test_common_options_work_at_either_level():
    from seamwatch.cli import build_parser

    parser = build_parser()
    outer = parser.parse_args(["silence", "--config", "a.toml", "--debug", "list"])
    inner = parser.parse_args(["silence", "list", "--config", "a.toml", "--debug"])
    plain = parser.parse_args(["channels", "list"])
    assert (outer.config, outer.debug) == (inner.config, inner.debug) == ("a.toml", True)
    assert (plain.config, plain.debug, plain.quiet) == (None, False, False)


@pytest.mark.parametrize("where", ["existing-file", "/proc/nope"])
def test_export_to_an_unusable_path_is_one_line_naming_it(cli, workspace, where):
    if where == "existing-file":
        target = workspace.write("history.parquet", "not a directory\n")
    else:
        target = where
    result = cli("export", "--parquet", str(target))
    assert result.code == 2
    assert result.err.startswith("seamwatch: --parquet ") and str(target) in result.err
    assert result.err.count("\n") == 1 and "Traceback" not in result.err
