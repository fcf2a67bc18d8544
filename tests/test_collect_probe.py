"""The probe source against real endpoints on 127.0.0.1: up, down, slow and wrong."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collectors.runner import run_cycle
from tests.collect_helpers import make_source, values
from tests.servers_http import slow
from tests.servers_prometheus import free_port

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def test_error_rate_is_the_failed_share_of_recent_probes(web, store, inventory):
    answers = iter([("ok", 200), ("down", 503), ("ok", 200), ("ok", 200)])
    web.expect_request("/health").respond_with_handler(
        lambda _r: __import__("werkzeug").Response(*next(answers))
    )
    source = make_source(
        "probe",
        targets=[{"integration": "crm-orders-to-erp", "url": web.url_for("/health")}],
        window=3,
    )
    rates = []
    for i in range(4):
        result = run_cycle(source, store, inventory, now=T0 + i * MINUTE)
        assert result.status == "ok"  # a failed probe is data, not a collector failure
        rates.append(values(store)[("crm-orders-to-erp", "error_rate")])
    assert rates == pytest.approx([0.0, 0.5, 1 / 3, 1 / 3])  # the window holds the last 3
    got = values(store)
    assert (
        0
        < got[("crm-orders-to-erp", "latency_p50_ms")]
        <= got[("crm-orders-to-erp", "latency_p99_ms")]
    )


def test_slow_refused_and_wrong_answers_count_as_failed_probes(web, store, inventory):
    web.expect_request("/slow").respond_with_handler(slow(3.0))
    web.expect_request("/teapot").respond_with_data("short and stout", status=418)
    web.expect_request("/maintenance").respond_with_data("<h1>Down for maintenance</h1>")
    web.expect_request("/fine").respond_with_data("status: UP")
    source = make_source(
        "probe",
        timeout="0.5s",
        targets=[
            {"integration": "slow-link", "url": web.url_for("/slow")},
            {"integration": "teapot-link", "url": web.url_for("/teapot")},
            {"integration": "maint-link", "url": web.url_for("/maintenance"), "contains": "UP"},
            {"integration": "refused-link", "url": f"http://127.0.0.1:{free_port()}/"},
            {"integration": "payments-webhook", "url": web.url_for("/fine"), "contains": "UP"},
        ],
    )
    result = run_cycle(source, store, inventory, now=T0)
    got = values(store)
    for link in ("slow-link", "teapot-link", "maint-link", "refused-link"):
        assert got[(link, "error_rate")] == 1.0
        assert (link, "latency_p95_ms") not in got
    assert got[("payments-webhook", "error_rate")] == 0.0
    assert got[("payments-webhook", "latency_p95_ms")] > 0
    assert result.duration_s < 2.5  # the slow endpoint cost its timeout, not its 3 s


def test_from_inventory_probes_endpoints_of_integrations_that_name_the_source(
    web, store, workspace
):
    text = (workspace.root / "inventory/payments.toml").read_text()
    text = text.replace(
        'collect = { throughput = "demo", latency_p95_ms = "demo" }',
        f'collect = {{ error_rate = "synthetic" }}\nendpoints = ["{web.url_for("/ping")}"]',
    )
    workspace.write("inventory/payments.toml", text)
    from seamwatch.inventory import load_inventory

    inv = load_inventory(["inventory/*.toml"], workspace.root)
    web.expect_request("/ping").respond_with_data("pong")
    source = make_source("probe", name="synthetic", from_inventory=True)
    assert run_cycle(source, store, inv, now=T0).status == "ok"
    assert values(store)[("crm-orders-to-erp", "error_rate")] == 0.0


def test_probe_needs_targets_or_the_inventory():
    with pytest.raises(ValueError, match="give `targets`, or set `from_inventory = true`"):
        make_source("probe")
