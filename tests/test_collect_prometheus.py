"""The prometheus source against a real Prometheus loaded with known history."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collectors.runner import run_backfill, run_cycle
from tests.collect_helpers import make_source, values
from tests.servers_prometheus import END, EXPECTED_MS, FLEET_QUERIES, RATES, at, free_port

pytestmark = pytest.mark.server


def fleet_source(url: str, **extra):
    return make_source("prometheus", url=url, metrics=dict(FLEET_QUERIES), timeout="5s", **extra)


def test_live_cycle_collects_rates_and_quantiles_the_data_implies(
    prometheus_server, store, inventory
):
    source = fleet_source(prometheus_server.url)
    result = run_cycle(source, store, inventory, now=at(END))

    got = values(store)
    for name, (rate, fail) in RATES.items():
        assert got[(name, "throughput")] == pytest.approx(rate, rel=1e-6)
        if rate:
            assert got[(name, "error_rate")] == pytest.approx(fail / rate, rel=1e-6)
            assert got[(name, "latency_p50_ms")] == pytest.approx(EXPECTED_MS[0.5], rel=1e-6)
            assert got[(name, "latency_p95_ms")] == pytest.approx(EXPECTED_MS[0.95], rel=1e-6)
            assert got[(name, "latency_p99_ms")] == pytest.approx(EXPECTED_MS[0.99], rel=1e-6)
    assert [got[(name, "dlq_depth")] for name in RATES] == [0.0, 1.0, 2.0, 3.0]
    ts = store.scalar("SELECT DISTINCT ts FROM samples")
    assert ts == at(END)
    assert result.status == "partial"
    # idle-link has no traffic: 0/0 and the quantiles of nothing are NaN, reported, not stored
    nan = [f for f in result.failures if f.integration == "idle-link"]
    assert {f.metric for f in nan} == {
        "error_rate",
        "latency_p50_ms",
        "latency_p95_ms",
        "latency_p99_ms",
    }
    assert all("value is NaN" in f.error and "query " in f.error for f in nan)
    assert ("idle-link", "error_rate") not in got


def test_series_without_the_integration_label_is_a_failure_naming_the_query(
    prometheus_server, store, inventory
):
    source = make_source(
        "prometheus",
        url=prometheus_server.url,
        metrics={"throughput": "sum by (service) (rate(jobs_total[5m]))"},
    )
    result = run_cycle(source, store, inventory, now=at(END))
    assert result.samples == 0
    messages = [f.error for f in result.failures]
    assert any("has no 'integration' label" in m and 'service="orphan"' in m for m in messages)
    assert all("sum by (service) (rate(jobs_total[5m]))" in m for m in messages)


def test_unaggregated_query_reports_several_series_per_integration(
    prometheus_server, store, inventory
):
    source = make_source(
        "prometheus",
        url=prometheus_server.url,
        metrics={"throughput": "rate(job_duration_seconds_bucket[5m])"},
    )
    result = run_cycle(source, store, inventory, now=at(END))
    assert any(
        "several series for integration 'crm-orders-to-erp'" in f.error for f in result.failures
    )


def test_promql_syntax_error_is_reported_with_the_query_and_others_still_collect(
    prometheus_server, store, inventory
):
    bad = "sum by (integration) (rate(jobs_total[5m]"
    source = make_source(
        "prometheus", url=prometheus_server.url, metrics={**FLEET_QUERIES, "dlq_depth": bad}
    )
    result = run_cycle(source, store, inventory, now=at(END))
    [failure] = [f for f in result.failures if f.metric == "dlq_depth"]
    assert (
        "HTTP 400" in failure.error
        and "bad_data" in failure.error
        and "parse error" in failure.error
    )
    assert failure.error.endswith(f"query: {bad}")
    assert values(store)[("crm-orders-to-erp", "throughput")] == pytest.approx(10.0)


def test_integration_not_in_the_inventory_is_kept_as_not_inventoried(
    prometheus_server, store, inventory
):
    run_cycle(fleet_source(prometheus_server.url), store, inventory, now=at(END))
    store.sync_inventory(inventory, at(END))
    row = store.query(
        "SELECT inventoried FROM v_integrations WHERE integration_id = 'partner-feed'"
    )
    assert row.inventoried.tolist() == [False]
    assert values(store)[("partner-feed", "throughput")] == pytest.approx(1.0)


def test_per_integration_query_needs_no_label_and_is_checked_against_the_inventory(
    prometheus_server, store, inventory
):
    source = make_source(
        "prometheus",
        url=prometheus_server.url,
        per_integration={
            "crm-orders-to-erp": {
                "throughput": 'sum(rate(jobs_total{integration="crm-orders-to-erp"}[5m]))'
            },
            "payments-webhook": {"throughput": "rate(jobs_total[5m])"},
        },
    )
    assert source.integrations() == {"crm-orders-to-erp", "payments-webhook"}
    result = run_cycle(source, store, inventory, now=at(END))
    assert values(store) == {("crm-orders-to-erp", "throughput"): pytest.approx(10.0)}
    [failure] = result.failures
    assert failure.integration == "payments-webhook"
    assert "returned 5 series, expected one" in failure.error


def test_backfill_pulls_history_in_chunks_at_the_step(prometheus_server, store, inventory):
    source = fleet_source(prometheus_server.url, step="60s", backfill_chunk="20m")
    start, end = at(END) - timedelta(hours=1), at(END)
    results = list(run_backfill(source, store, inventory, start, end))
    assert len(results) == 3 and all(r.error is None for r in results)
    frame = store.query(
        "SELECT ts, value FROM samples WHERE integration_id = 'crm-orders-to-erp'"
        " AND metric = 'throughput' ORDER BY ts"
    )
    assert len(frame) == 60
    assert frame.ts.iloc[0] == start and frame.ts.iloc[-1] == end - timedelta(minutes=1)
    assert frame.value.tolist() == pytest.approx([10.0] * 60)
    p95 = store.query(
        "SELECT DISTINCT round(value, 6) AS v FROM samples"
        " WHERE metric = 'latency_p95_ms' AND integration_id = 'payments-webhook'"
    )
    assert p95.v.tolist() == [EXPECTED_MS[0.95]]
    dupes = store.scalar(
        "SELECT count(*) FROM (SELECT ts, integration_id, metric FROM samples GROUP BY ALL HAVING count(*) > 1)"
    )
    assert dupes == 0


def test_unreachable_prometheus_fails_every_query_with_the_url(store, inventory):
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cycle(fleet_source(url), store, inventory, now=at(END))
    assert result.status == "failed" and result.samples == 0  # nothing collected at all
    assert len(result.failures) == len(FLEET_QUERIES)
    assert all("connection refused" in f.error and url in f.error for f in result.failures)


def test_dns_failure_is_named(store, inventory):
    result = run_cycle(
        fleet_source("http://prometheus.does-not-exist.invalid:9090"), store, inventory, now=at(END)
    )
    assert all(
        "DNS lookup failed for prometheus.does-not-exist.invalid" in f.error
        for f in result.failures
    )
