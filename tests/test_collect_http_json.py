"""The http_json source against real HTTP servers on 127.0.0.1, good, slow, failing and malformed."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.runner import run_cycle
from tests.collect_helpers import make_source, values
from tests.servers_http import slow
from tests.servers_prometheus import free_port

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_fleet_list_endpoint_maps_items_by_id_and_scales(web, store, inventory):
    web.expect_request("/api/stats").respond_with_json(
        {
            "data": {
                "flows": [
                    {
                        "name": "crm-orders-to-erp",
                        "rate": 12.5,
                        "errors": {"ratio": 0.4},
                        "lat": {"p95": 0.41},
                    },
                    {
                        "name": "payments-webhook",
                        "rate": "3",
                        "errors": {"ratio": 1.5},
                        "lat": {"p95": 0.2},
                    },
                ]
            }
        }
    )
    source = make_source(
        "http_json",
        url=web.url_for("/api/stats"),
        items="data.flows",
        id="name",
        metrics={"throughput": "rate", "error_rate": "errors.ratio", "latency_p95_ms": "lat.p95"},
        scale={"error_rate": 0.01, "latency_p95_ms": 1000},
    )
    result = run_cycle(source, store, inventory, now=NOW)
    assert result.status == "ok" and result.samples == 6
    assert values(store) == {
        ("crm-orders-to-erp", "throughput"): 12.5,
        ("crm-orders-to-erp", "error_rate"): pytest.approx(0.004),
        ("crm-orders-to-erp", "latency_p95_ms"): pytest.approx(410.0),
        ("payments-webhook", "throughput"): 3.0,
        ("payments-webhook", "error_rate"): pytest.approx(0.015),
        ("payments-webhook", "latency_p95_ms"): pytest.approx(200.0),
    }
    assert store.scalar("SELECT DISTINCT ts FROM samples") == NOW


def test_fleet_object_keyed_by_id_with_bad_values_reports_each_and_keeps_the_rest(
    web, store, inventory
):
    web.expect_request("/stats").respond_with_data(
        '{"crm-orders-to-erp": {"tps": 4}, "payments-webhook": {"tps": "fast"},'
        ' "partner-feed": {"tps": NaN}, "night-batch": {"tps": Infinity}, "old-link": {"rate": 1}}',
        content_type="application/json",
    )
    source = make_source("http_json", url=web.url_for("/stats"), metrics={"throughput": "tps"})
    result = run_cycle(source, store, inventory, now=NOW)
    assert values(store) == {("crm-orders-to-erp", "throughput"): 4.0}
    errors = {f.integration: f.error for f in result.failures}
    assert errors["payments-webhook"].startswith(
        "non-numeric value 'fast' from tps in http://127.0.0.1"
    )
    assert errors["partner-feed"].startswith("value is NaN")
    assert errors["night-batch"].startswith("value is +Inf")
    assert (
        "path 'tps' matches nothing" in errors["old-link"] and "no key 'tps'" in errors["old-link"]
    )
    assert result.status == "partial"


def test_per_integration_endpoints_each_fail_on_their_own(web, store, inventory):
    web.expect_request("/flows/crm-orders-to-erp").respond_with_json({"stats": {"throughput": 7}})
    web.expect_request("/flows/payments-webhook").respond_with_data("upstream down", status=503)
    web.expect_request("/flows/gone-link").respond_with_data("", status=404)
    web.expect_request("/flows/html-link").respond_with_data(
        "<html>login</html>", content_type="text/html"
    )
    source = make_source(
        "http_json",
        url=web.url_for("/flows/{integration}"),
        integrations=["crm-orders-to-erp", "payments-webhook", "gone-link", "html-link"],
        metrics={"throughput": "stats.throughput"},
    )
    assert source.integrations() == {
        "crm-orders-to-erp",
        "payments-webhook",
        "gone-link",
        "html-link",
    }
    result = run_cycle(source, store, inventory, now=NOW)
    assert values(store) == {("crm-orders-to-erp", "throughput"): 7.0}
    errors = {f.integration: f.error for f in result.failures}
    assert errors["payments-webhook"].startswith(
        "HTTP 503 Service Unavailable from GET http://127.0.0.1"
    )
    assert "(upstream down)" in errors["payments-webhook"]
    assert errors["gone-link"].startswith("HTTP 404 Not Found from GET")
    assert (
        errors["html-link"].startswith("invalid JSON from GET")
        and "<html>login" in errors["html-link"]
    )


def test_per_integration_ids_default_to_inventory_integrations_collected_by_this_source(
    web, store, workspace
):
    text = (workspace.root / "inventory/payments.toml").read_text()
    workspace.write(
        "inventory/payments.toml", text.replace('throughput = "demo"', 'throughput = "ipaas"')
    )
    from seamwatch.inventory import load_inventory

    inv = load_inventory(["inventory/*.toml"], workspace.root)
    web.expect_request("/flows/crm-orders-to-erp").respond_with_json({"rate": 2})
    source = make_source(
        "http_json",
        name="ipaas",
        url=web.url_for("/flows/{integration}"),
        metrics={"throughput": "rate"},
    )
    result = run_cycle(source, store, inv, now=NOW)
    assert result.status == "ok" and values(store) == {("crm-orders-to-erp", "throughput"): 2.0}


def test_slow_endpoint_costs_its_timeout_and_does_not_block_the_others(web, store, inventory):
    web.expect_request("/flows/crm-orders-to-erp").respond_with_handler(slow(3.0))
    web.expect_request("/flows/payments-webhook").respond_with_json({"rate": 5})
    source = make_source(
        "http_json",
        url=web.url_for("/flows/{integration}"),
        integrations=["crm-orders-to-erp", "payments-webhook"],
        metrics={"throughput": "rate"},
        timeout="0.5s",
    )
    result = run_cycle(source, store, inventory, now=NOW)
    assert values(store) == {("payments-webhook", "throughput"): 5.0}
    [failure] = result.failures
    assert failure.integration == "crm-orders-to-erp"
    assert failure.error.startswith("timed out after 0.5s: GET http://127.0.0.1")
    assert result.duration_s < 2.5  # bounded by the timeout, not by the 3 s handler


def test_unreachable_host_and_dns_failure_are_named(store, inventory):
    port = free_port()
    refused = make_source(
        "http_json", url=f"http://127.0.0.1:{port}/stats", metrics={"throughput": "x"}
    )
    [failure] = run_cycle(refused, store, inventory, now=NOW).failures
    assert (
        failure.error
        == f"connection refused (nothing listening): GET http://127.0.0.1:{port}/stats"
    )
    dns = make_source(
        "http_json", url="http://stats.does-not-exist.invalid/x", metrics={"throughput": "x"}
    )
    [failure] = run_cycle(dns, store, inventory, now=NOW).failures
    assert failure.error.startswith("DNS lookup failed for stats.does-not-exist.invalid")


def test_items_path_that_matches_nothing_is_reported(web, store, inventory):
    web.expect_request("/stats").respond_with_json({"data": {"integrations": []}})
    source = make_source(
        "http_json", url=web.url_for("/stats"), items="data.flows", metrics={"throughput": "x"}
    )
    [failure] = run_cycle(source, store, inventory, now=NOW).failures
    assert (
        "items path 'data.flows' matches nothing" in failure.error
        and "no key 'flows' at data" in failure.error
    )


def test_headers_and_bearer_token_are_sent(web, store, inventory):
    web.expect_request(
        "/stats", headers={"Authorization": "Bearer s3cret", "X-Tenant": "acme"}
    ).respond_with_json([{"id": "crm-orders-to-erp", "rate": 1}])
    source = make_source(
        "http_json",
        url=web.url_for("/stats"),
        metrics={"throughput": "rate"},
        bearer_token="s3cret",
        headers={"X-Tenant": "acme"},
    )
    assert "s3cret" not in repr(source.options)
    assert run_cycle(source, store, inventory, now=NOW).status == "ok"


def test_bad_options_are_config_errors_naming_the_key(cli, workspace):
    workspace.write(
        "config.toml",
        """
        [inventory]
        paths = ["inventory/*.toml"]
        [[sources]]
        name = "ipaas"
        kind = "http_json"
        url = "http://127.0.0.1:1/stats"
        metrics = { throughput = "a..b" }
        """,
    )
    result = cli("check")
    assert result.code == 2
    assert "sources[0].metrics" in result.out and "is not a JSON path" in result.out


def test_check_reports_a_source_that_names_an_integration_not_in_the_inventory(cli, workspace):
    workspace.write(
        "config.toml",
        """
        [inventory]
        paths = ["inventory/*.toml"]
        [[sources]]
        name = "ipaas"
        kind = "http_json"
        url = "http://127.0.0.1:1/flows/{integration}"
        integrations = ["crm-orders-to-erp", "ghost-link"]
        metrics = { throughput = "rate" }
        """,
    )
    result = cli("check")
    ghost = [line for line in result.out.splitlines() if "'ghost-link'" in line]
    assert len(ghost) == 1, result.out
    # a warning: not-inventoried integrations are collected and shown, never a failed check
    assert ghost[0].startswith("warning: ")
    assert "sources[0]: names integration 'ghost-link', which is in no inventory file" in ghost[0]
    assert "names integration 'crm-orders-to-erp'" not in result.out
