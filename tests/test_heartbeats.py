"""Batch jobs that report in: the ping endpoint of `seamwatch run`, `seamwatch ping` wrapping a
shell job, and what bad pings are told."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from datetime import UTC, datetime, timedelta

import httpx
import pandas as pd
import pytest

from cli.scheduler import build_scheduler
from collectors.heartbeat import HeartbeatServer, HeartbeatSettings, parse_ping_path
from seamwatch.config import load_settings
from seamwatch.store import Store
from tests.conftest import CONFIG, free_port, run_cli_process, wait_until

JOB = "payments-webhook"
TOKEN = "s3cret-global-token"
T0 = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
AFTER_PINGS = T0 + timedelta(hours=1)
"""After every ping the `endpoint` fixture stamps (a minute apart from T0)."""


@pytest.fixture
def endpoint(store, inventory):
    clock = [T0]

    def now() -> datetime:
        clock[0] += timedelta(minutes=1)
        return clock[0]

    settings = HeartbeatSettings(
        enabled=True,
        port=0,
        token=TOKEN,
        tokens={"crm-orders-to-erp": "crm-only-token"},
        max_body=64,
    )
    server = HeartbeatServer(settings, store, lambda iid: iid in inventory, now=now).start()
    yield f"http://127.0.0.1:{server.port}", store
    server.close()


def _ping(base: str, path: str, token: str | None = TOKEN, body: bytes = b"") -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(base + path, content=body, headers=headers, timeout=5)


def _runs(store: Store, as_of: datetime | None = None) -> pd.DataFrame:
    """The runs as `v_job_runs` shows them (up to DuckDB's now(), the wall clock), or as of
    `as_of`, for pings stamped by a pinned clock."""
    runs = "v_job_runs"
    if as_of is not None:
        runs = "job_runs_between(TIMESTAMPTZ '1970-01-01 00:00:00+00', $as_of, NULL)"
    return store.query(
        "SELECT integration_id, started_at, finished_at, duration_s, status, exit_status, body,"
        f" body_bytes FROM {runs} ORDER BY coalesce(started_at, finished_at)",
        {"as_of": as_of} if as_of is not None else None,
    )


def test_start_and_end_pings_make_runs_with_duration_status_and_log_tail(endpoint):
    base, store = endpoint
    assert _ping(base, f"/ping/{JOB}/start").text == "OK\n"
    assert _ping(base, f"/ping/{JOB}", body=b"exported 120 rows\n").status_code == 200
    assert _ping(base, f"/ping/{JOB}/start").status_code == 200
    assert _ping(base, f"/ping/{JOB}/3", body=b"disk full\n").status_code == 200
    assert _ping(base, f"/ping/{JOB}/fail").status_code == 200  # an end without a start
    assert _ping(base, f"/ping/{JOB}/start").status_code == 200  # still going
    runs = _runs(store, AFTER_PINGS)
    assert list(runs.status) == ["success", "fail", "fail", "running"]
    first = runs.iloc[0]
    assert first.duration_s == 60.0
    assert first.body == "exported 120 rows\n"
    assert runs.iloc[1].exit_status == 3 and runs.iloc[1].body == "disk full\n"
    assert runs.iloc[2].started_at is pd_nat() or str(runs.iloc[2].started_at) == "NaT"


def pd_nat():
    import pandas as pd

    return pd.NaT


def test_bad_pings_get_a_clear_answer_and_nothing_is_stored(endpoint):
    base, store = endpoint
    cases = [
        (
            "/ping/no-such-job",
            TOKEN,
            404,
            "unknown integration 'no-such-job': not in the inventory",
        ),
        (f"/ping/{JOB}", "wrong-token", 403, f"wrong token for '{JOB}'"),
        (f"/ping/{JOB}", None, 401, "no token: send it as `Authorization: Bearer <token>`"),
        (f"/ping/{JOB}/999", TOKEN, 400, "'999' is neither start, fail nor an exit status"),
        (f"/ping/{JOB}/later", TOKEN, 400, "'later' is neither start, fail"),
        ("/health", TOKEN, 400, "'/health' is not a ping path"),
        ("/ping/crm-orders-to-erp", TOKEN, 403, "wrong token for 'crm-orders-to-erp'"),
    ]
    for path, token, code, message in cases:
        answer = _ping(base, path, token)
        assert (answer.status_code, answer.text.startswith(message)) == (code, True), answer.text
    assert _runs(store, AFTER_PINGS).empty
    # the integration's own token works, and ?token= is accepted too
    assert _ping(base, "/ping/crm-orders-to-erp", "crm-only-token").status_code == 200
    assert httpx.get(f"{base}/ping/{JOB}/start?token={TOKEN}").status_code == 200
    assert len(_runs(store, AFTER_PINGS)) == 2


def test_an_oversized_body_is_kept_as_its_tail_not_refused(endpoint):
    base, store = endpoint
    log = "".join(f"line {i}\n" for i in range(10_000)).encode()
    answer = _ping(base, f"/ping/{JOB}/1", body=log)
    assert answer.status_code == 200
    assert answer.text == f"OK (body truncated to its last 64 of {len(log)} bytes)\n"
    run = _runs(store, AFTER_PINGS).iloc[0]
    assert run.body.endswith("line 9999\n") and len(run.body) == 64
    assert run.body_bytes == len(log)


def test_a_ping_while_another_process_holds_the_store_is_spooled_then_kept(tmp_path, inventory):
    store = Store(tmp_path / "sw.duckdb", lock_timeout=0.5)
    store.migrate()
    server = HeartbeatServer(
        HeartbeatSettings(enabled=True, port=0, token=TOKEN), store, lambda iid: iid in inventory
    ).start()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb, time; c = duckdb.connect({str(store.path)!r}); print('held', flush=True);"
            " time.sleep(3)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        answer = _ping(f"http://127.0.0.1:{server.port}", f"/ping/{JOB}/start")
        assert answer.status_code == 200
        assert store.spool.pending()
    finally:
        holder.wait()
        server.close()
    with store.write():  # the next write replays the spool
        pass
    assert list(_runs(store).status) == ["running"]


def test_ping_paths():
    assert parse_ping_path("/ping/job") == ("job", "success", None)
    assert parse_ping_path("/ping/job/0") == ("job", "success", 0)
    assert parse_ping_path("/ping/job/start") == ("job", "start", None)
    assert parse_ping_path("/ping/job/137") == ("job", "fail", 137)


def test_an_enabled_endpoint_without_any_token_is_a_config_error(workspace, cli):
    workspace.write("config.toml", CONFIG + "\n[heartbeats]\nenabled = true\n")
    result = cli("check")
    assert result.code == 2
    assert "heartbeats: the endpoint needs a `token`" in result.err + result.out


def test_seamwatch_ping_wraps_a_cron_job_shell_script(workspace, monkeypatch):
    """`seamwatch run` serves the endpoint; a shell job is run by `seamwatch ping` in its own
    process, as cron would, twice: once failing with output, once succeeding."""
    port = free_port()
    monkeypatch.setenv("SW_PING_TOKEN", TOKEN)
    workspace.write(
        "config.toml",
        CONFIG + f'\n[heartbeats]\nenabled = true\nport = {port}\ntoken = "${{SW_PING_TOKEN}}"\n',
    )
    script = workspace.write(
        "export.sh",
        textwrap.dedent(
            """
            #!/bin/sh
            echo "exporting $1"
            sleep 1
            if [ "$1" = bad ]; then echo "ERROR: target refused the file" >&2; exit 4; fi
            echo "done"
            """
        ),
    )
    script.chmod(0o755)
    settings = load_settings(workspace.config)
    scheduler = build_scheduler(settings)
    scheduler.start()
    try:
        assert wait_until(
            lambda: httpx.get(f"http://127.0.0.1:{port}/").status_code == 400, 10, 0.2
        )
        bad = run_cli_process(
            "ping",
            JOB,
            "--config",
            str(workspace.config),
            "--",
            str(script),
            "bad",
            cwd=workspace.root,
        )
        good = run_cli_process(
            "ping",
            JOB,
            "--config",
            str(workspace.config),
            "--",
            str(script),
            "good",
            cwd=workspace.root,
        )
        unknown = run_cli_process(
            "ping",
            "no-such-job",
            "--config",
            str(workspace.config),
            "--",
            "true",
            cwd=workspace.root,
        )
    finally:
        scheduler.shutdown(wait=True)
    assert bad.returncode == 4, bad.stderr  # the job's own exit status
    assert "exporting bad" in bad.stdout  # its output passes through
    assert good.returncode == 0, good.stderr
    assert unknown.returncode == 0  # the job ran; the ping's problem is only a warning
    assert "HTTP 404: unknown integration 'no-such-job'" in unknown.stderr
    runs = _runs(Store.from_settings(settings))
    assert list(runs.status) == ["fail", "success"]
    assert list(runs.exit_status) == [4, 0]
    assert "ERROR: target refused the file" in runs.iloc[0].body
    assert all(runs.duration_s >= 1.0)
