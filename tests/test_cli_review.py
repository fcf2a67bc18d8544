"""CLI defects found in review: options at either level, clean one-line errors, early refusals."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from seamwatch.inventory import load_inventory
from seamwatch.store import Store
from tests.conftest import Workspace
from tests.pinned_clock import PINNED


def run_from(
    directory, capsys: pytest.CaptureFixture[str], *args: str, monkeypatch: pytest.MonkeyPatch
) -> tuple[int, str, str]:
    """Run `seamwatch ARGS` in-process from `directory`, exactly as given (no --config added)."""
    from cli import main

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
    from cli import build_parser

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


HTTP_SOURCE = """
[[sources]]
name = "stats"
kind = "http_json"
url = "http://127.0.0.1:9/stats"
metrics = {{ throughput = "tps" }}
ca_file = "{ca_file}"
"""


def test_check_names_a_missing_ca_file_with_its_key(cli, workspace):
    workspace.write(
        "config.toml", workspace.config.read_text() + HTTP_SOURCE.format(ca_file="nope.pem")
    )
    result = cli("check")
    assert result.code == 2
    assert "sources[1].ca_file" in result.out
    assert f"the CA bundle {workspace.root / 'nope.pem'} does not exist" in result.out


def test_a_relative_ca_file_is_found_next_to_the_config(cli, workspace):
    workspace.write("certs/ca.pem", "not checked until a fetch\n")
    workspace.write(
        "config.toml", workspace.config.read_text() + HTTP_SOURCE.format(ca_file="certs/ca.pem")
    )
    result = cli("check")
    assert result.code == 0, result.out
    assert result.out.strip().endswith("ok")


def test_a_ca_file_gone_after_check_fails_the_fetch_naming_it_without_a_traceback(
    workspace, caplog
):
    from collectors.runner import run_cycle
    from tests.collect_helpers import make_source

    ca = workspace.write("ca.pem", "placeholder\n")
    source = make_source(
        "http_json", url="http://127.0.0.1:9/stats", metrics={"throughput": "tps"}, ca_file=str(ca)
    )
    ca.unlink()
    store = Store(workspace.store_path, lock_timeout=3)
    store.migrate()
    inventory = load_inventory(["inventory/*.toml"], workspace.root)
    result = run_cycle(source, store, inventory, now=datetime(2026, 11, 24, 12, tzinfo=UTC))
    assert result.status == "failed" and result.samples == 0
    messages = [result.error or ""] + [f.error for f in result.failures]
    assert any(f"cannot load ca_file {ca}: No such file or directory" in m for m in messages)
    assert "Traceback" not in caplog.text and not any(r.exc_info for r in caplog.records)


def test_detect_with_an_empty_as_of_is_refused_and_persists_nothing(cli, workspace):
    result = cli("detect", "--as-of", "")
    assert result.code == 2
    assert result.err.startswith("seamwatch: --as-of: empty") and result.err.count("\n") == 1
    assert not workspace.store_path.exists()


def test_detect_as_of_in_the_future_is_refused_with_one_line(cli, workspace):
    result = cli("detect", "--as-of", "2026-11-25T11:00:00Z", now=PINNED)
    assert result.code == 2
    assert result.err.startswith(
        "seamwatch: --as-of: '2026-11-25T11:00:00Z' is in the future (now is 2026-11-25T09:00:00Z)"
    )
    assert result.err.count("\n") == 1 and not workspace.store_path.exists()


@pytest.mark.parametrize(
    ("block", "key"),
    [
        ('[[sources]]\nname = "demo"\nkind = "demo"\ninterval = "0s"\n', "sources[0].interval"),
        ('[[sources]]\nname = "demo"\nkind = "demo"\ninterval = 0\n', "sources[0].interval"),
        (
            '[[sources]]\nname = "demo"\nkind = "demo"\n[scheduler]\nrollup_interval = "0m"\n',
            "scheduler.rollup_interval",
        ),
    ],
)
def test_a_zero_interval_is_refused_naming_the_key(cli, workspace, block, key):
    workspace.write("config.toml", '[inventory]\npaths = ["inventory/*.toml"]\n' + block)
    result = cli("check")
    assert result.code == 2
    assert key in result.err + result.out and "is zero; a duration must be positive" in (
        result.err + result.out
    )


def test_zero_is_a_valid_wait_but_not_a_duration():
    from pydantic import TypeAdapter

    from seamwatch.durations import Duration, Wait, parse_duration

    with pytest.raises(ValueError, match="zero; a duration must be positive"):
        parse_duration("0s")
    with pytest.raises(ValueError, match="zero"):
        TypeAdapter(Duration).validate_python(0)
    assert TypeAdapter(Wait).validate_python("0s") == timedelta(0)
    assert TypeAdapter(Wait).validate_python("2m") == timedelta(minutes=2)


def test_report_post_without_post_url_is_refused_before_writing(cli, workspace, tmp_path):
    out = tmp_path / "review"
    result = cli("report", "--week", "2026-W47", "--out", str(out), "--post")
    assert result.code == 2
    assert result.err == (
        'seamwatch: posting needs [reports] post_url (e.g. post_url = "${REPORT_WEBHOOK}") in '
        f"{workspace.config}; nothing was written\n"
    )
    assert not out.exists()


def test_report_for_an_unknown_team_lists_the_known_ones_and_writes_nothing(
    cli, workspace, tmp_path
):
    out = tmp_path / "review"
    result = cli("report", "--week", "2026-W47", "--out", str(out), "--team", "nobody")
    assert result.code == 2
    assert result.err == (
        "seamwatch: --team 'nobody': no such owner in the inventory (known teams: payments)\n"
    )
    assert not out.exists()


@pytest.mark.parametrize(
    ("matcher", "message"),
    [
        (
            "severity=bogus",
            "--match severity=bogus: no finding has that severity (one of: critical, warning, info)",
        ),
        ("tier=9", "--match tier=9: no finding has that tier (one of: 1, 2, 3, 4)"),
    ],
)
def test_silence_with_an_impossible_severity_or_tier_is_refused(cli, workspace, matcher, message):
    result = cli("silence", "add", "-m", matcher, "--duration", "1h", "-c", "typo")
    assert result.code == 2
    assert result.err == f"seamwatch: {message}\n"
    assert "(no rows)" in cli("silence", "list", "--all").out


def test_silence_severity_wildcards_and_valid_tiers_are_accepted(cli):
    assert cli("silence", "add", "-m", "severity=crit*", "-m", "tier=2", "-c", "ok").code == 0


def test_silence_that_has_already_ended_is_refused(cli):
    result = cli(
        "silence", "add", "-m", "integration=crm-orders-to-erp",
        "--start", "2026-11-24T00:00Z", "--end", "2026-11-24T02:00Z", "-c", "too late", now=PINNED,
    )  # fmt: skip
    assert result.code == 2
    assert result.err == (
        "seamwatch: the silence would already have ended (2026-11-24 02:00 UTC, now is "
        "2026-11-25 09:00 UTC)\n"
    )
    assert "(no rows)" in cli("silence", "list", "--all").out


def test_silence_for_an_unknown_integration_warns_but_is_added(cli):
    result = cli("silence", "add", "-m", "integration=crm-ordres-to-erp", "-c", "typo?")
    assert result.code == 0
    assert result.err == (
        "seamwatch: warning: --match integration=crm-ordres-to-erp: no such integration in the "
        "inventory or in the data (yet); the silence is added anyway\n"
    )
    assert "crm-ordres-to-erp" in result.out
    known = cli("silence", "add", "-m", "integration=crm-*", "-c", "inventoried")
    assert known.code == 0 and known.err == ""


def test_silence_for_an_integration_seen_only_in_data_does_not_warn(cli, workspace):
    import pandas as pd

    store = Store(workspace.store_path, lock_timeout=3)
    store.migrate()
    store.write_samples(
        pd.DataFrame(
            {
                "ts": [datetime(2026, 11, 24, 12, tzinfo=UTC)],
                "integration_id": ["legacy-ftp"],
                "metric": ["throughput"],
                "value": [1.0],
            }
        ),
        source="test",
    )
    result = cli("silence", "add", "-m", "integration=legacy-ftp", "-c", "being retired")
    assert result.code == 0 and result.err == ""
