"""Every CLI command end to end on a temp data dir."""

from __future__ import annotations

import json
import signal
import subprocess
import sys

import duckdb
import pandas as pd

from tests.conftest import REPO, free_port, run_cli_process, wait_until
from tests.pinned_clock import PINNED, STAMP


def test_check_summarises_a_valid_setup(cli):
    result = cli("check")
    assert result.code == 0, result.out
    assert "inventory: 2 integrations in 1 files" in result.out
    assert result.out.strip().endswith("ok")


def test_check_reports_every_problem_and_exits_2(cli, workspace):
    workspace.write("inventory/broken.toml", "[[integration]]\nid = 'x'\n")
    workspace.write(
        "inventory/payments.toml",
        (workspace.root / "inventory/payments.toml")
        .read_text()
        .replace('latency_p95_ms = "demo"', 'latency_p95_ms = "prom"'),
    )
    result = cli("check")
    assert result.code == 2
    assert "broken.toml" in result.out and "required key is missing" in result.out
    assert "crm-orders-to-erp.collect.latency_p95_ms" in result.out and "'prom'" in result.out
    assert result.out.count("broken.toml: integration[0].") == 5  # name, systems, pattern, tier
    assert "6 problems found" in result.out


def test_check_reports_every_config_error_and_still_checks_the_inventory(cli, workspace):
    workspace.write(
        "config.toml",
        (workspace.root / "config.toml")
        .read_text()
        .replace('lock_timeout = "3s"', 'lock_timeout = "3s"\nraw_retention = "soon"\nfoo = 1')
        .replace('interval = "60s"', 'interval = "5 parsecs"')
        .replace("metrics_port = 0", "metrics_port = -4")
        + "\n[reports]\ncolour = 'red'\n\n[detectors]\nlookback = '1d'\n",
    )
    workspace.write("inventory/broken.toml", "[[integration]]\nid = 'x'\nname = 'X'\n")
    result = cli("check")
    config = workspace.config
    lines = [line for line in result.out.splitlines() if line.startswith("error: ")]
    assert f"error: {config}:4: store.raw_retention: 'soon' is not a duration" in result.out
    assert f"error: {config}:5: store.foo: unknown key" in result.out
    assert f"error: {config}:13: sources[0].interval: '5 parsecs'" in result.out
    assert f"error: {config}:17: scheduler.metrics_port:" in result.out
    assert f"error: {config}:20: reports.colour: unknown key" in result.out
    assert f"error: {config}:23: detectors.lookback:" in result.out
    assert sum("broken.toml:" in line for line in lines) == 4  # inventory checked too
    assert "more error" not in result.out
    assert len(lines) == 10 and result.out.strip().endswith("10 problems found")
    assert "inventory: 2 integrations in 2 files" in result.out  # the good file still loads
    assert result.code == 2


def test_check_prints_each_inventory_error_once(workspace):
    workspace.write("inventory/broken.toml", "[[integration]]\nid = 'x'\npattern = 'pigeon'\n")
    result = run_cli_process("check", "--config", str(workspace.config))
    output = result.stdout + result.stderr
    assert output.count("integration[0].pattern") == 1, output
    assert "skipping inventory file" not in output and "WARNING" not in output
    assert result.returncode == 2


def test_bad_config_is_one_line_on_stderr_with_exit_2(cli, workspace):
    workspace.write(
        "config.toml", "[[sources]]\nname = 'demo'\nkind = 'demo'\ninterval = '5 parsecs'\n"
    )
    result = cli("sources")  # commands other than check stop at the first problem
    assert result.code == 2
    assert result.err.count("\n") == 1
    assert result.err.startswith("seamwatch: ") and "sources[0].interval" in result.err
    assert "Traceback" not in result.err


def test_unknown_source_kind_and_option_are_named(cli, workspace):
    workspace.write("config.toml", "[[sources]]\nname = 'x'\nkind = 'carrier-pigeon'\n")
    result = cli("check")
    assert result.code == 2 and "sources[0].kind" in result.out and "carrier-pigeon" in result.out
    workspace.write("config.toml", "[[sources]]\nname = 'demo'\nkind = 'demo'\nsede = 3\n")
    result = cli("check")
    assert result.code == 2 and "sources[0].sede: unknown key" in result.out


def test_demo_then_sql_then_export(cli, workspace, tmp_path):
    result = cli("demo", "--weeks", "1", "--anchor", STAMP, now=PINNED)
    assert result.code == 0, result.err
    assert "demo:" in result.out and "samples over 1 weeks" in result.out
    con = duckdb.connect(str(workspace.store_path), read_only=True)
    n, days = con.execute(
        "SELECT count(*), count(DISTINCT CAST(ts AS DATE)) FROM samples"
    ).fetchone()
    con.close()
    assert n > 10_000 and days >= 7

    out = cli("sql", "SELECT count(*) AS n FROM v_latest", "--format", "json")
    assert out.code == 0 and json.loads(out.out)[0]["n"] > 0
    csv = cli(
        "sql",
        "SELECT integration_id, inventoried FROM v_integrations ORDER BY 1",
        "--format",
        "csv",
    )
    assert csv.out.splitlines()[0] == "integration_id,inventoried"

    refused = cli("sql", "DELETE FROM samples")
    assert refused.code == 2 and "refused: DELETE" in refused.err

    target = tmp_path / "export"
    exported = cli("export", "--parquet", str(target))
    assert exported.code == 0 and "daily partitions" in exported.out
    back = duckdb.execute(
        f"SELECT count(*) FROM read_parquet('{target}/day=*/*.parquet', hive_partitioning=true)"
    ).fetchone()[0]
    assert back == n


def test_demo_if_empty_leaves_a_seeded_store_alone(cli):
    assert cli("demo", "--weeks", "1", "--anchor", STAMP, now=PINNED).code == 0
    again = cli("demo", "--weeks", "1", "--anchor", STAMP, "--if-empty", now=PINNED)
    assert again.code == 0 and "already has samples" in again.out


def test_collect_once_records_a_run(cli, workspace):
    result = cli("collect", "--once")
    assert result.code == 0, result.out + result.err
    assert "demo: ok" in result.out
    con = duckdb.connect(str(workspace.store_path), read_only=True)
    status, samples = con.execute("SELECT status, samples FROM v_runs").fetchone()
    con.close()
    assert status == "ok" and samples > 0


def test_collect_unknown_source_is_named(cli):
    result = cli("collect", "--once", "--source", "nope")
    assert result.code == 2 and "no source named 'nope'" in result.err


def test_import_csv_is_idempotent_and_keeps_uninventoried_ids(cli, workspace, tmp_path):
    frame = pd.DataFrame(
        {
            "ts": pd.date_range("2026-11-01", periods=50, freq="min").strftime(
                "%Y-%m-%dT%H:%M:%SZ"
            ),
            "integration": ["crm-orders-to-erp"] * 25 + ["legacy-feed"] * 25,
            "metric": "latency_p95_ms",
            "value": [str(v) for v in range(49)] + ["n/a"],
        }
    )
    path = tmp_path / "history.csv"
    frame.to_csv(path, index=False)
    first = cli("import", str(path))
    assert first.code == 0, first.err
    assert "50 rows, 49 new, 1 dropped" in first.out
    assert "not inventoried (kept): legacy-feed" in first.out
    assert "0 new" in cli("import", str(path)).out
    rows = cli(
        "sql",
        "SELECT integration_id, inventoried FROM v_integrations WHERE NOT inventoried",
        "--format",
        "json",
    )
    assert json.loads(rows.out) == [{"integration_id": "legacy-feed", "inventoried": False}]


def test_import_names_bad_columns_and_metrics(cli, tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("time,integration,metric,value\n2026-11-01,a,throughput,1\n")
    result = cli("import", str(bad))
    assert result.code == 2 and "missing column(s) ts" in result.err
    bad.write_text("ts,integration,metric,value\n2026-11-01,a,latency_p42,1\n")
    result = cli("import", str(bad))
    assert result.code == 2 and "'latency_p42'" in result.err


def test_parquet_import(cli, tmp_path):
    path = tmp_path / "h.parquet"
    pd.DataFrame(
        {
            "ts": pd.date_range("2026-11-01", periods=5, freq="h", tz="UTC"),
            "integration": "payments-webhook",
            "metric": "error_rate",
            "value": 0.01,
        }
    ).to_parquet(path)
    assert "5 new" in cli("import", str(path)).out


def test_every_command_has_help_with_an_example():
    from cli import COMMANDS, build_parser

    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    for name, command in sub.choices.items():
        text = command.format_help()
        assert "example" in text, name
        for nested in command._actions:
            if nested.dest == "action":  # sub-actions such as `silence add`, `channels test`
                for action_name, action in nested.choices.items():
                    assert "example" in action.format_help(), f"{name} {action_name}"
    assert len(sub.choices) == len(COMMANDS)


def test_run_daemon_collects_and_stops_cleanly_on_sigterm(workspace):
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "run", "--config", str(workspace.config)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def recorded_a_run() -> bool:
        con = duckdb.connect(str(workspace.store_path), read_only=True)
        try:
            return con.execute("SELECT count(*) FROM runs").fetchone()[0] > 0
        finally:
            con.close()

    try:
        assert wait_until(recorded_a_run, 60), "the daemon recorded no collection run within 60 s"
        proc.send_signal(signal.SIGTERM)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "scheduler stopped" in out


def test_cli_process_prints_one_line_errors(tmp_path):
    result = run_cli_process("check", "--config", str(tmp_path / "missing.toml"))
    assert result.returncode == 2
    assert result.stderr.strip() == f"seamwatch: {tmp_path / 'missing.toml'}: file not found"


def test_up_seeds_the_demo_serves_the_dashboard_and_ctrl_c_stops_both(workspace):
    import urllib.request

    port = free_port()
    workspace.write(
        "config.toml",
        (workspace.config.read_text() + f'\n[app]\naddress = "127.0.0.1"\nport = {port}\n'),
    )
    proc = subprocess.Popen(
        [sys.executable, "-m", "cli", "up", "--config", str(workspace.config)],
        cwd=REPO,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )

    def healthy() -> bool:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2) as r:
            return r.read() == b"ok"

    try:
        assert wait_until(healthy, 120, every=1), "the dashboard did not come up within 120 s"
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, out
    assert "demo:" in out and "scheduler stopped" in out
    try:
        urllib.request.urlopen(f"http://127.0.0.1:{port}/_stcore/health", timeout=2)
        still_up = True
    except OSError:
        still_up = False
    assert not still_up, "the dashboard outlived Ctrl-C"
