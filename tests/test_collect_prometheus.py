"""The prometheus source against real servers of the query API loaded with known history.

Every test taking `backend` runs against Prometheus and against VictoriaMetrics (the scale-out
store; MetricsQL). Where their answers differ, the test says how.
"""

from __future__ import annotations

import signal
import time
from datetime import timedelta

import pytest

from collectors import FailureKind
from collectors.runner import run_backfill, run_cycle
from tests.collect_helpers import make_source, values
from tests.servers_prometheus import END, EXPECTED_MS, FLEET_QUERIES, RATES, at, free_port
from tests.servers_victoriametrics import start_gateway

pytestmark = pytest.mark.server

BACKENDS = {"prometheus": "prometheus_server", "victoria-metrics": "victoriametrics_server"}


@pytest.fixture(params=list(BACKENDS))
def backend(request):
    """A server of the Prometheus query API holding the RATES fleet: each kind in turn."""
    return request.getfixturevalue(BACKENDS[request.param])


def fleet_source(url: str, **extra):
    return make_source("prometheus", url=url, metrics=dict(FLEET_QUERIES), timeout="5s", **extra)


def test_live_cycle_collects_rates_and_quantiles_the_data_implies(backend, store, inventory):
    source = fleet_source(backend.url)
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
    if backend.kind == "victoria-metrics":
        # MetricsQL drops series whose value is NaN: idle-link's 0/0 is simply missing, no failure
        assert not [f for f in result.failures if f.integration == "idle-link"]
        assert ("idle-link", "error_rate") not in got
        return
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
    backend, store, inventory
):
    source = make_source(
        "prometheus",
        url=backend.url,
        metrics={"throughput": "sum by (service) (rate(jobs_total[5m]))"},
    )
    result = run_cycle(source, store, inventory, now=at(END))
    assert result.samples == 0
    messages = [f.error for f in result.failures]
    assert any("has no 'integration' label" in m and 'service="orphan"' in m for m in messages)
    assert all("sum by (service) (rate(jobs_total[5m]))" in m for m in messages)


def test_unaggregated_query_reports_several_series_per_integration(backend, store, inventory):
    source = make_source(
        "prometheus",
        url=backend.url,
        metrics={"throughput": "rate(job_duration_seconds_bucket[5m])"},
    )
    result = run_cycle(source, store, inventory, now=at(END))
    assert any(
        "several series for integration 'crm-orders-to-erp'" in f.error for f in result.failures
    )


def test_promql_syntax_error_is_reported_with_the_query_and_others_still_collect(
    backend, store, inventory
):
    bad = "sum by (integration) (rate(jobs_total[5m]"
    source = make_source("prometheus", url=backend.url, metrics={**FLEET_QUERIES, "dlq_depth": bad})
    result = run_cycle(source, store, inventory, now=at(END))
    [failure] = [f for f in result.failures if f.metric == "dlq_depth"]
    if backend.kind == "victoria-metrics":  # 422 and MetricsQL's own parser's words
        assert "HTTP 422" in failure.error and "unexpected token" in failure.error
    else:
        assert (
            "HTTP 400" in failure.error
            and "bad_data" in failure.error
            and "parse error" in failure.error
        )
    assert failure.error.endswith(f"query: {bad}")
    assert values(store)[("crm-orders-to-erp", "throughput")] == pytest.approx(10.0)


def test_integration_not_in_the_inventory_is_kept_as_not_inventoried(backend, store, inventory):
    run_cycle(fleet_source(backend.url), store, inventory, now=at(END))
    store.sync_inventory(inventory, at(END))
    row = store.query(
        "SELECT inventoried FROM v_integrations WHERE integration_id = 'partner-feed'"
    )
    assert row.inventoried.tolist() == [False]
    assert values(store)[("partner-feed", "throughput")] == pytest.approx(1.0)


def test_per_integration_query_needs_no_label_and_is_checked_against_the_inventory(
    backend, store, inventory
):
    source = make_source(
        "prometheus",
        url=backend.url,
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


def test_backfill_pulls_history_in_chunks_at_the_step(backend, store, inventory):
    source = fleet_source(backend.url, step="60s", backfill_chunk="20m")
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


def test_a_tenant_header_and_path_prefix_reach_a_multi_tenant_backend(backend, store, inventory):
    # Mimir/Cortex want X-Scope-OrgID; a VictoriaMetrics cluster serves /select/<id>/prometheus.
    gateway = start_gateway(backend.url, tenant="team-a", prefix="/select/7/prometheus")
    try:
        url = f"{gateway.url}/select/7/prometheus"
        refused = run_cycle(fleet_source(url), store, inventory, now=at(END))
        assert refused.status == "failed"
        assert all("HTTP 401" in f.error for f in refused.failures)
        source = fleet_source(url, headers={"X-Scope-OrgID": "team-a"})
        result = run_cycle(source, store, inventory, now=at(END))
        assert values(store)[("crm-orders-to-erp", "throughput")] == pytest.approx(10.0)
        assert result.samples >= len(RATES)
        paths = {path.split("?")[0] for path, org in gateway.seen if org == "team-a"}
        assert paths == {"/select/7/prometheus/api/v1/query"}
    finally:
        gateway.server.shutdown()


def test_a_large_fleet_backfills_in_chunks_of_bounded_size(backend, store, inventory, monkeypatch):
    import collectors.prometheus as prometheus

    monkeypatch.setattr(prometheus, "CHUNK_SAMPLES", 300)
    source = fleet_source(backend.url, step="60s", backfill_chunk="1d")
    start, end = at(END) - timedelta(hours=1), at(END)
    results = list(run_backfill(source, store, inventory, start, end))
    assert len(results) >= 4 and all(r.error is None for r in results)
    assert max(r.samples for r in results) <= 2 * 300  # the first chunk's size is a guess
    frame = store.query(
        "SELECT ts FROM samples WHERE integration_id = 'crm-orders-to-erp'"
        " AND metric = 'throughput' ORDER BY ts"
    )
    assert len(frame) == 60 and frame.ts.is_unique


def test_a_refused_query_shows_the_servers_error_type_in_the_run(backend, store, inventory):
    bad = "sum by (integration) (rate(jobs_total[5m]"
    result = run_cycle(
        make_source("prometheus", url=backend.url, metrics={"throughput": bad}),
        store,
        inventory,
        now=at(END),
    )
    assert result.status == "failed"
    [failure] = result.failures
    assert failure.kind is FailureKind.QUERY
    kind, error = store.query(
        "SELECT json_extract_string(failures, '$[0].kind') AS kind,"
        " json_extract_string(failures, '$[0].error') AS error FROM runs"
    ).iloc[0]
    assert kind == "query"
    # read from the answer's JSON: Prometheus names the class of error; VictoriaMetrics puts
    # its HTTP status in errorType and words the parse error its own way
    if backend.kind == "victoria-metrics":
        assert error.startswith("query failed (HTTP 422): 422: error when executing query=")
        assert "unexpected token" in error
    else:
        assert error.startswith("query failed (HTTP 400): bad_data: ")
        assert "parse error" in error
    assert error.endswith(f"— query: {bad}")


def test_a_server_that_stops_answering_is_a_timeout_of_every_query(backend, store, inventory):
    source = make_source("prometheus", url=backend.url, metrics=dict(FLEET_QUERIES), timeout="1s")
    backend.process.send_signal(signal.SIGSTOP)  # accepts connections, never answers
    try:
        clock = time.perf_counter()
        result = run_cycle(source, store, inventory, now=at(END))
        took = time.perf_counter() - clock
    finally:
        backend.process.send_signal(signal.SIGCONT)
    assert result.status == "failed" and result.error is None
    assert {f.kind for f in result.failures} == {FailureKind.TIMEOUT}
    assert len(result.failures) == len(FLEET_QUERIES)
    assert all(f.error.startswith("timed out after 1s: GET ") for f in result.failures)
    assert took < 4  # the queries wait concurrently: one timeout, not six


def test_refused_and_unresolvable_servers_are_typed_failures(store, inventory):
    refused = run_cycle(
        fleet_source(f"http://127.0.0.1:{free_port()}"), store, inventory, now=at(END)
    )
    assert {f.kind for f in refused.failures} == {FailureKind.REFUSED}
    unresolved = run_cycle(
        fleet_source("http://prometheus.does-not-exist.invalid:9090"), store, inventory, now=at(END)
    )
    assert {f.kind for f in unresolved.failures} == {FailureKind.DNS}


def test_one_session_serves_every_cycle_of_a_source(backend, store, inventory):
    source = fleet_source(backend.url)
    run_cycle(source, store, inventory, now=at(END))
    session = source._client._session
    pools = session.get_adapter(backend.url).poolmanager.pools

    def opened() -> int:
        return sum(pools[key].num_connections for key in pools.keys())  # noqa: SIM118

    assert opened() >= 1
    for _ in range(3):
        run_cycle(source, store, inventory, now=at(END))
    assert source._client._session is session
    # 24 queries over four cycles, on at most one connection per concurrent query: kept alive
    # and reused from cycle to cycle, not opened anew by each
    assert opened() <= len(FLEET_QUERIES)
