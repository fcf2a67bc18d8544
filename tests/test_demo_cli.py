"""`seamwatch demo` and `seamwatch up`: simulated history only where it is wanted; a dashboard
that cannot start stops `up`."""

from __future__ import annotations

import socket
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import duckdb

from cli.up import wait_for_app
from collectors.demo import emitting_ids
from tests.conftest import CONFIG, REPO, run_cli_process
from tests.pinned_clock import PINNED, STAMP

NO_DEMO_CONFIG = CONFIG.replace(
    '[[sources]]\nname = "demo"\nkind = "demo"\ninterval = "60s"\nseed = 7\n', ""
)


def sample_sources(workspace) -> dict[str, int]:
    if not workspace.store_path.exists():
        return {}
    con = duckdb.connect(str(workspace.store_path), read_only=True)
    try:
        return dict(con.execute("SELECT source, count(*) FROM samples GROUP BY 1").fetchall())
    finally:
        con.close()


def import_real_samples(cli, tmp_path) -> None:
    path = tmp_path / "real.csv"
    path.write_text(
        "ts,integration,metric,value\n"
        "2026-11-01T00:00:00Z,crm-orders-to-erp,throughput,12\n"
        "2026-11-01T00:01:00Z,crm-orders-to-erp,throughput,13\n"
    )
    assert cli("import", str(path)).code == 0


def test_demo_without_a_demo_source_is_refused_unless_forced(cli, workspace):
    workspace.write("config.toml", NO_DEMO_CONFIG)
    refused = cli("demo", "--weeks", "1", "--anchor", STAMP, now=PINNED)
    assert refused.code == 2
    assert 'no source with kind = "demo"' in refused.err and "--force" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert sample_sources(workspace) == {}

    forced = cli("demo", "--weeks", "1", "--anchor", STAMP, "--force", now=PINNED)
    assert forced.code == 0, forced.err
    assert set(sample_sources(workspace)) == {"demo"}


def test_demo_refuses_a_store_with_real_samples(cli, workspace, tmp_path):
    import_real_samples(cli, tmp_path)
    refused = cli("demo", "--weeks", "1", "--anchor", STAMP, now=PINNED)
    assert refused.code == 2
    assert "holds 2 samples of other sources (import:real.csv)" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert sample_sources(workspace) == {"import:real.csv": 2}

    forced = cli("demo", "--weeks", "1", "--anchor", STAMP, "--force", now=PINNED)
    assert forced.code == 0, forced.err
    assert sample_sources(workspace)["import:real.csv"] == 2


def test_demo_may_top_up_its_own_history(cli):
    assert cli("demo", "--weeks", "1", "--anchor", STAMP, now=PINNED).code == 0
    assert cli("demo", "--weeks", "1", "--anchor", STAMP, now=PINNED).code == 0


def test_demo_counts_the_integrations_it_wrote_not_the_inventory(cli):
    result = cli("demo", "--weeks", "1", "--anchor", STAMP, now=PINNED)
    assert result.code == 0, result.err
    # the workspace inventory lists 2 integrations; the demo fleet emits for more
    assert f"for {len(emitting_ids())} integrations" in result.out


def test_up_without_a_demo_source_seeds_nothing(workspace):
    """Checked with a busy dashboard port, so `up` stops right after the seeding decision."""
    workspace.write("config.toml", NO_DEMO_CONFIG)
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        workspace.write(
            "config.toml",
            workspace.config.read_text() + f'\n[app]\naddress = "127.0.0.1"\nport = {port}\n',
        )
        result = run_cli_process("up", "--config", str(workspace.config), timeout=60)
    assert 'no kind = "demo" source: no demo seeded' in result.stdout
    assert sample_sources(workspace) == {}
    assert result.returncode == 2


def test_up_with_a_busy_dashboard_port_exits_2_naming_the_port(workspace):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = run_cli_process(
            "up", "--no-demo", "--port", str(port), "--config", str(workspace.config), timeout=60
        )
    assert result.returncode == 2
    assert (
        result.stderr.strip()
        .splitlines()[-1]
        .startswith(f"seamwatch: dashboard port {port} on 127.0.0.1 is already in use")
    )
    assert "dashboard: http" not in result.stdout


def test_wait_for_app_notices_a_dashboard_that_exits_during_start_up():
    died = subprocess.Popen([sys.executable, "-c", "import sys; sys.exit(1)"], cwd=REPO)
    assert wait_for_app(died, "http://127.0.0.1:9/_stcore/health", timeout=30) is False


def test_wait_for_app_returns_once_the_dashboard_answers():
    class Health(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: object) -> None:
            pass

    server = HTTPServer(("127.0.0.1", 0), Health)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    alive = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/_stcore/health"
        assert wait_for_app(alive, url, timeout=30) is True
    finally:
        alive.kill()
        alive.wait()
        server.shutdown()
