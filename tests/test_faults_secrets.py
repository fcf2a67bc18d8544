"""Fault suite, secrets and chat: canary secrets never appear in any output, log, table, view,
stored error or payload; inventory text can neither ping a whole channel nor carry a
javascript: link into any chat."""

from __future__ import annotations

import logging

import pytest

from tests.alerts_support import FAST, T0, add_finding, configure, minutes, notifier
from tests.servers_chat import Behaviour

CANARY_TOKEN = "canaryTOKEN7f3a9"
CANARY_PASS = "canaryPASS51c2e"
CANARY_KEY = "canaryKEY88d0b1"
CANARY_HOOK = "canaryHOOKe4f70a2b91"

HOSTILE = """
[[integration]]
id = "hostile-feed"
name = "<!channel> Orders @here feed"
owner = "@everyone team"
source_system = "A <users/all>"
target_system = "B"
pattern = "event"
tier = 1
runbook = "javascript:alert(document.cookie)"
"""


@pytest.mark.parametrize("kind", ["mattermost", "teams", "discord", "google_chat", "slack"])
def test_inventory_text_cannot_ping_a_channel_or_carry_a_script_link(
    workspace, monkeypatch, receiver, kind
):
    monkeypatch.setenv("HOOK_URL", receiver.url(kind))
    workspace.write("inventory/hostile.toml", HOSTILE)
    settings = configure(
        workspace,
        f"""
        [alerts]
        {FAST}
        chat_route = "ignore"
        [alerts.channels.team]
        kind = "{kind}"
        url = "${{HOOK_URL}}"
        [alerts.default]
        channels = ["team"]
        """,
    )
    add_finding(settings, "hostile-feed", summary="rate up @channel <!here> see <@U123>")
    result = notifier(settings).run(T0 + minutes(5))
    assert [r.status for r in result.reports] == ["sent"]
    (got,) = receiver.for_service(kind)
    raw = got.raw.decode("unicode_escape")
    for mention in (
        "<!channel>",
        "<!here>",
        "@here",
        "@everyone",
        "@channel",
        "<users/all>",
        "<@U",
    ):
        assert mention not in raw, (mention, raw)
    assert "javascript:" not in raw.lower()
    assert "Orders" in got.text()  # still readable


def test_a_receiver_echoing_the_secret_url_path_never_gets_it_stored(
    workspace, monkeypatch, receiver
):
    url = receiver.url("mattermost", secret=f"hooks/{CANARY_HOOK}")
    monkeypatch.setenv("HOOK_URL", url)
    settings = configure(
        workspace,
        f"""
        [alerts]
        {FAST}
        chat_route = "ignore"
        max_attempts = 1
        [alerts.channels.team]
        kind = "mattermost"
        url = "${{HOOK_URL}}"
        [alerts.default]
        channels = ["team"]
        """,
    )
    receiver.script(
        "/mattermost/", Behaviour(404, body=f"no webhook at /mattermost/hooks/{CANARY_HOOK}")
    )
    add_finding(settings, "crm-orders-to-erp")
    notifier(settings).run(T0 + minutes(5))
    from seamwatch.store import Store

    store = Store.from_settings(settings)
    dump = store.query(
        "SELECT (SELECT string_agg(CAST(n AS VARCHAR), ' ') FROM notifications n) AS a,"
        " (SELECT string_agg(CAST(m AS VARCHAR), ' ') FROM alert_messages m) AS b"
    ).to_string()
    assert "no webhook at" in dump
    assert CANARY_HOOK not in dump


def test_collector_secrets_never_reach_output_tables_views_or_logs(
    cli, workspace, monkeypatch, web, caplog
):
    monkeypatch.setenv("PROM_TOKEN", CANARY_TOKEN)
    monkeypatch.setenv("IPAAS_KEY", CANARY_KEY)
    web.expect_request("/stats").respond_with_data(
        f"upstream said: bad key {CANARY_KEY} for user:{CANARY_PASS}", status=500
    )
    base = web.url_for("/stats").replace("http://", f"http://ops:{CANARY_PASS}@")
    workspace.write(
        "config.toml",
        f"""
        [store]
        path = "data/seamwatch.duckdb"
        lock_timeout = "3s"
        [inventory]
        paths = ["inventory/*.toml"]
        [[sources]]
        name = "ipaas"
        kind = "http_json"
        url = "{base}?api_key=${{IPAAS_KEY}}"
        bearer_token = "${{PROM_TOKEN}}"
        metrics = {{ throughput = "rate" }}
        [[sources]]
        name = "gone"
        kind = "http_json"
        url = "http://127.0.0.1:9/stats?token=${{IPAAS_KEY}}"
        metrics = {{ throughput = "rate" }}
        """,
    )
    caplog.set_level(logging.DEBUG)
    outputs = [
        cli("collect", "--once"),
        cli("sources"),
        cli("sources", "--format", "json"),
        cli("sql", "SELECT * FROM v_runs", "--format", "csv"),
        cli("sql", "SELECT * FROM v_sources", "--format", "json"),
        cli("sql", "SELECT * FROM runs"),
        cli("check"),
    ]
    text = "\n".join(o.out + o.err for o in outputs) + caplog.text
    assert "HTTP 500" in text and "connection refused" in text  # the failures are shown
    for canary in (CANARY_TOKEN, CANARY_PASS, CANARY_KEY):
        assert canary not in text, canary
    from seamwatch.store import Store

    stored = Store(workspace.store_path).query("SELECT * FROM runs").to_string()
    # the weekly review (HTML and Markdown) of the week the run was stored in (in the review's
    # zone, not the wall clock's week: the test may straddle a week's end), and the Sources page
    from reports import Week, report_settings
    from seamwatch.config import load_settings

    started = Store(workspace.store_path).query("SELECT max(started_at) AS t FROM runs")["t"][0]
    zone = report_settings(load_settings(workspace.config)).zone
    week = Week.containing(started.to_pydatetime(), zone).label
    out = workspace.root / "reports"
    assert cli("report", "--week", week, "--out", str(out)).code == 0
    pages = "".join(f.read_text(encoding="utf-8") for f in out.rglob("*") if f.is_file())
    assert "HTTP 500" in pages
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    monkeypatch.setenv("SEAMWATCH_CONFIG", str(workspace.config))
    at = AppTest.from_file(str(REPO / "app" / "Home.py"), default_timeout=60).run()
    at.switch_page("views/sources.py").run()
    page = str([e.value for e in at.markdown] + [e.value for e in at.dataframe])
    assert "ipaas" in page
    for canary in (CANARY_TOKEN, CANARY_PASS, CANARY_KEY):
        assert canary not in stored and canary not in pages and canary not in page


def test_log_records_of_child_loggers_are_redacted_at_the_root_handler(capsys):
    import io

    from seamwatch.secrets import RedactingFilter, install_root_redaction, register_secret

    register_secret(CANARY_TOKEN)
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        install_root_redaction()
        install_root_redaction()  # every channel and post asks again: still one filter
        assert sum(isinstance(f, RedactingFilter) for f in handler.filters) == 1
        logging.getLogger("httpcore.http11").warning("sent Authorization: Bearer %s", CANARY_TOKEN)
        try:
            raise RuntimeError(f"failed for {CANARY_TOKEN}")
        except RuntimeError:
            logging.getLogger("alerts.engine").exception("boom")
    finally:
        root.removeHandler(handler)
    out = stream.getvalue()
    assert "Bearer ***" in out and "RuntimeError: failed for ***" in out
    assert CANARY_TOKEN not in out


def test_dashboard_exposed_without_sign_in_is_warned_at_start_and_by_check(cli, workspace, capsys):
    from cli.app_cmd import warn_if_exposed
    from seamwatch.config import AppSettings

    assert AppSettings().address == "127.0.0.1"  # loopback by default
    warn_if_exposed(AppSettings())
    assert capsys.readouterr().err == ""
    warn_if_exposed(AppSettings(), "0.0.0.0")
    assert "listens on 0.0.0.0 without sign-in" in capsys.readouterr().err
    workspace.config.write_text(
        workspace.config.read_text() + '\n[app]\naddress = "0.0.0.0"\n', encoding="utf-8"
    )
    out = cli("check").out
    assert "app.address: the dashboard listens on 0.0.0.0 without sign-in" in out, out


def test_login_without_an_auth_provider_says_what_to_configure(
    cli, workspace, tmp_path, monkeypatch
):
    from streamlit.testing.v1 import AppTest

    from tests.conftest import REPO

    monkeypatch.chdir(workspace.root)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    workspace.config.write_text(
        workspace.config.read_text() + "\n[app]\nlogin = true\n", encoding="utf-8"
    )
    result = cli("check")
    assert result.code == 2
    assert "app.login: login = true needs a sign-in provider: add an [auth] block" in result.out
    monkeypatch.setenv("SEAMWATCH_CONFIG", str(workspace.config))
    at = AppTest.from_file(str(REPO / "app" / "Home.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    shown = " ".join(e.value for e in at.error)
    assert "no sign-in provider is configured" in shown, shown


def test_sql_console_is_bounded_in_memory_threads_and_temp_space_and_hides_the_store_path(
    cli, workspace
):
    assert cli("collect", "--once").code == 0
    shown = cli(
        "sql",
        "SELECT current_setting('memory_limit') AS m, current_setting('threads') AS t,"
        " current_setting('temp_directory') AS td,"
        " (SELECT string_agg(path, ',') FROM duckdb_databases()) AS p",
        "--format",
        "json",
    )
    assert shown.code == 0, shown.err
    import json

    [row] = json.loads(shown.out)
    assert row["m"] == "488.2 MiB" and row["t"] == 2 and row["td"] == ""
    assert row["p"] == "seamwatch.duckdb" and str(workspace.root) not in shown.out
    heavy = cli(
        "sql",
        "SELECT count(*) FROM (SELECT i % 20000000 AS k, string_agg(i::VARCHAR || repeat('x', 50),"
        " ',') AS s FROM range(30000000) r(i) GROUP BY k)",
    )
    assert heavy.code == 2 and "Out of Memory" in heavy.err, heavy.err
    assert not list(workspace.root.rglob("*.tmp")) and not (workspace.root / ".tmp").exists()
