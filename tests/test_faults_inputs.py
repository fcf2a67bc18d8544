"""Fault suite, inputs: a corpus of bad config and inventory files (tests/bad_inputs/), each
answered by `seamwatch check` with exit 2 and one line naming the file, the key and the value;
global options before the command; a ${VAR} needed only by what uses it."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.conftest import CONFIG

CORPUS = Path(__file__).parent / "bad_inputs"
CONFIGS = sorted((CORPUS / "config").glob("*.toml"))
INVENTORIES = sorted((CORPUS / "inventory").glob("*.toml"))


def expectation(path: Path) -> tuple[str, str]:
    """The `# expect: KEY :: VALUE` first line of a corpus file."""
    first = path.read_text(encoding="utf-8").splitlines()[0]
    key, value = first.removeprefix("# expect: ").split(" :: ")
    return key.strip(), value.strip()


def error_line(output: str, path: Path, key: str, value: str) -> str | None:
    for line in output.splitlines():
        if str(path) in line and (not key or key in line) and value in line:
            return line
    return None


def test_the_corpus_is_large_enough():
    assert len(CONFIGS) + len(INVENTORIES) >= 60


@pytest.mark.parametrize("case", CONFIGS, ids=[p.stem for p in CONFIGS])
def test_bad_config_is_one_line_naming_file_key_and_value(case, workspace, capsys):
    from cli import main

    key, value = expectation(case)
    config = workspace.root / "config.toml"
    shutil.copyfile(case, config)
    code = main(["--config", str(config), "check"])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in out + err
    line = error_line(out + err, config, key, value)
    assert line is not None, f"no line with {config}, {key!r} and {value!r} in:\n{out}{err}"


@pytest.mark.parametrize("case", INVENTORIES, ids=[p.stem for p in INVENTORIES])
def test_bad_inventory_is_one_line_naming_file_key_and_value(case, workspace, capsys):
    from cli import main

    key, value = expectation(case)
    workspace.write("config.toml", CONFIG)
    bad = workspace.root / "inventory" / "bad.toml"
    shutil.copyfile(case, bad)
    code = main(["--config", str(workspace.config), "check"])
    out, err = capsys.readouterr()
    assert code == 2, out + err
    assert "Traceback" not in out + err
    line = error_line(out + err, bad, key, value)
    assert line is not None, f"no line with {bad}, {key!r} and {value!r} in:\n{out}{err}"


def test_global_options_go_before_the_command_too(workspace, capsys):
    from cli import main

    assert main(["--config", str(workspace.config), "check"]) == 0
    assert "config: " + str(workspace.config) in capsys.readouterr().out
    assert main(["--quiet", "--config", str(workspace.config), "sources", "--format", "json"]) == 0


def test_a_variable_is_needed_only_by_what_uses_it(cli, workspace, monkeypatch):
    monkeypatch.delenv("OPS_HOOK", raising=False)
    workspace.write(
        "config.toml",
        CONFIG
        + """
[alerts.channels.ops]
kind = "slack"
url = "${OPS_HOOK}"
""",
    )
    assert cli("collect", "--once").code == 0  # collecting needs no chat channel
    assert cli("sql", "SELECT count(*) AS n FROM samples").code == 0
    notify = cli("notify")
    assert notify.code == 2
    assert notify.err.count("\n") == 1
    assert "alerts.channels.ops.url: environment variable OPS_HOOK is not set" in notify.err
    assert "OPS_HOOK is not set" in cli("check").out


def test_a_config_that_is_a_symlink_loop_is_one_line_exit_2(tmp_path, capsys):
    from cli import main

    (tmp_path / "a.toml").symlink_to(tmp_path / "b.toml")
    (tmp_path / "b.toml").symlink_to(tmp_path / "a.toml")
    for command in (["check"], ["sources"], ["sql", "SELECT 1"]):
        assert main(["--config", str(tmp_path / "a.toml"), *command]) == 2
        _out, err = capsys.readouterr()
        assert err.count("\n") == 1 and "a.toml: cannot read: Symlink loop" in err, err
