"""The scrape source against a live prometheus_client exporter on 127.0.0.1."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

from collectors.base import Source
from collectors.runner import run_cycle
from collectors.scrape import bucket_quantile
from tests.collect_helpers import make_source, values

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
MINUTE = timedelta(minutes=1)


def fetched_at(source: Source, when: datetime) -> Source:
    """The source with its fetch clock reading `when` (rates divide by fetch times)."""
    source.clock = lambda: when.timestamp()  # type: ignore[attr-defined]
    return source


class Exporter:
    """A service's own metrics, served live at /metrics by the loopback server."""

    def __init__(self, web) -> None:
        self.registry = CollectorRegistry()
        self.jobs = Counter("jobs", "jobs done", ["integration"], registry=self.registry)
        self.failed = Counter(
            "job_failures", "jobs failed", ["integration"], registry=self.registry
        )
        self.duration = Histogram(
            "job_duration_seconds",
            "job time",
            ["integration"],
            buckets=(0.1, 0.25, 0.5, 1.0),
            registry=self.registry,
        )
        self.dlq = Gauge(
            "dlq_messages", "dead letters", ["integration", "queue"], registry=self.registry
        )
        web.expect_request("/metrics").respond_with_handler(
            lambda _r: __import__("werkzeug").Response(
                generate_latest(self.registry), content_type="text/plain"
            )
        )
        self.url = web.url_for("/metrics")


RULES = {
    "throughput": "jobs_total",
    "error_rate": {"family": "job_failures_total", "per": "jobs_total"},
    "latency_p50_ms": "job_duration_seconds",
    "latency_p95_ms": "job_duration_seconds",
    "dlq_depth": "dlq_messages",
}


def test_counters_become_rates_and_histograms_quantiles_between_scrapes(web, store, inventory):
    ex = Exporter(web)
    ex.jobs.labels("crm-orders-to-erp").inc(100)
    ex.dlq.labels("crm-orders-to-erp", "orders.dlq").set(3)
    ex.dlq.labels("crm-orders-to-erp", "orders.retry.dlq").set(4)
    source = make_source("scrape", targets=[ex.url], metrics=RULES)

    first = run_cycle(fetched_at(source, T0), store, inventory, now=T0)
    assert first.status == "ok"
    assert values(store) == {("crm-orders-to-erp", "dlq_depth"): 7.0}  # a rate needs two scrapes

    ex.jobs.labels("crm-orders-to-erp").inc(600)  # 10/s over the minute
    ex.failed.labels("crm-orders-to-erp").inc(6)  # 1% of them failed
    for seconds, times in ((0.05, 5), (0.2, 3), (0.4, 1), (0.7, 1)):
        for _ in range(times):
            ex.duration.labels("crm-orders-to-erp").observe(seconds)
    # a fresh Source object: the counters survive in the store, as across daemon restarts
    again = make_source("scrape", targets=[ex.url], metrics=RULES)
    second = run_cycle(fetched_at(again, T0 + MINUTE), store, inventory, now=T0 + MINUTE)
    assert second.status == "ok"
    got = values(store)
    assert got[("crm-orders-to-erp", "throughput")] == pytest.approx(10.0)
    assert got[("crm-orders-to-erp", "error_rate")] == pytest.approx(0.01)
    assert got[("crm-orders-to-erp", "latency_p50_ms")] == pytest.approx(100.0)
    assert got[("crm-orders-to-erp", "latency_p95_ms")] == pytest.approx(750.0)


def test_a_counter_reset_counts_the_new_value_as_the_increase(web, store, inventory):
    registry_text = {"v": 'jobs_total{integration="payments-webhook"} 5000\n'}
    web.expect_request("/metrics").respond_with_handler(
        lambda _r: __import__("werkzeug").Response("# TYPE jobs counter\n" + registry_text["v"])
    )
    source = make_source(
        "scrape", targets=[web.url_for("/metrics")], metrics={"throughput": "jobs_total"}
    )
    run_cycle(fetched_at(source, T0), store, inventory, now=T0)
    registry_text["v"] = 'jobs_total{integration="payments-webhook"} 120\n'  # the service restarted
    run_cycle(fetched_at(source, T0 + MINUTE), store, inventory, now=T0 + MINUTE)
    assert values(store) == {("payments-webhook", "throughput"): pytest.approx(2.0)}


def test_a_clock_stepping_back_keeps_the_state_of_the_newer_scrape(web, store, inventory):
    text = {"v": "10"}
    web.expect_request("/metrics").respond_with_handler(
        lambda _r: __import__("werkzeug").Response(f'jobs_total{{integration="a"}} {text["v"]}\n')
    )
    source = make_source(
        "scrape", targets=[web.url_for("/metrics")], metrics={"throughput": "jobs_total"}
    )
    run_cycle(fetched_at(source, T0 + MINUTE), store, inventory, now=T0 + MINUTE)
    text["v"] = "70"
    run_cycle(fetched_at(source, T0), store, inventory, now=T0)  # no rate, state kept
    text["v"] = "130"
    run_cycle(fetched_at(source, T0 + 2 * MINUTE), store, inventory, now=T0 + 2 * MINUTE)
    frame = store.query("SELECT ts, value FROM samples ORDER BY ts")
    assert frame.value.tolist() == pytest.approx([2.0])  # (130 - 10) / 60 s


def test_counter_rate_divides_by_the_time_between_fetches_not_between_cycles(web, store, inventory):
    """Cycles are stamped on the minute, but the fetches run 3 s and 10.66 s after theirs."""
    text = {"v": "0"}
    web.expect_request("/metrics").respond_with_handler(
        lambda _r: __import__("werkzeug").Response(f'jobs_total{{integration="a"}} {text["v"]}\n')
    )
    source = make_source(
        "scrape", targets=[web.url_for("/metrics")], metrics={"throughput": "jobs_total"}
    )
    run_cycle(fetched_at(source, T0 + timedelta(seconds=3)), store, inventory, now=T0)
    text["v"] = str(10 * 67.66)  # 10/s for the 67.66 s between the two fetches
    late = T0 + MINUTE + timedelta(seconds=10.66)
    run_cycle(fetched_at(source, late), store, inventory, now=T0 + MINUTE)
    frame = store.query("SELECT ts, value FROM samples")
    assert frame.value.tolist() == pytest.approx([10.0])
    assert frame.ts.tolist() == [T0 + MINUTE]  # the sample keeps the aligned cycle time


class RisingCounter(BaseHTTPRequestHandler):
    """/metrics of a counter rising at exactly 10 per second of real time."""

    started = time.time()

    def do_GET(self) -> None:
        value = 10 * (time.time() - self.started)
        body = f'# TYPE jobs counter\njobs_total{{integration="a"}} {value}\n'.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


def test_a_counter_rising_10_per_second_is_stored_as_10_per_second(store, inventory):
    """Real server, real clock: two scrapes 1.5 s apart, in cycles stamped a minute apart."""
    server = HTTPServer(("127.0.0.1", 0), RisingCounter)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/metrics"
        source = make_source("scrape", targets=[url], metrics={"throughput": "jobs_total"})
        run_cycle(source, store, inventory, now=T0)
        time.sleep(1.5)
        run_cycle(source, store, inventory, now=T0 + MINUTE)
    finally:
        server.shutdown()
        server.server_close()
    frame = store.query("SELECT ts, value FROM samples")
    assert frame.ts.tolist() == [T0 + MINUTE]
    assert frame.value.tolist() == pytest.approx([10.0], rel=0.05)


def test_malformed_failing_and_unlabelled_targets_each_report_and_others_collect(
    web, store, inventory
):
    web.expect_request("/good").respond_with_data("# TYPE depth gauge\ndepth 4\n")
    web.expect_request("/garbage").respond_with_data("this is { not prometheus text\n")
    web.expect_request("/down").respond_with_data("oops", status=500)
    web.expect_request("/nolabel").respond_with_data('# TYPE depth gauge\ndepth{queue="x"} 2\n')
    source = make_source(
        "scrape",
        targets=[
            {"url": web.url_for("/good"), "integration": "crm-orders-to-erp"},
            web.url_for("/garbage"),
            web.url_for("/down"),
            web.url_for("/nolabel"),
        ],
        metrics={"dlq_depth": "depth"},
    )
    assert source.integrations() == {"crm-orders-to-erp"}
    result = run_cycle(source, store, inventory, now=T0)
    assert values(store) == {("crm-orders-to-erp", "dlq_depth"): 4.0}
    messages = sorted(f.error for f in result.failures)
    assert any(
        m.startswith("cannot parse the Prometheus text from http://127.0.0.1") and "/garbage" in m
        for m in messages
    )
    assert any(
        m.startswith("HTTP 500 Internal Server Error from GET") and "/down" in m for m in messages
    )
    assert any(
        "1 series of depth from" in m and "have no 'integration' label" in m for m in messages
    )


def test_missing_family_and_nan_gauge_are_reported(web, store, inventory):
    web.expect_request("/metrics").respond_with_data(
        '# TYPE depth gauge\ndepth{integration="a"} NaN\ndepth{integration="b"} +Inf\n'
    )
    source = make_source(
        "scrape",
        targets=[web.url_for("/metrics")],
        metrics={"dlq_depth": "depth", "throughput": "jobs_total"},
    )
    result = run_cycle(source, store, inventory, now=T0)
    errors = sorted(f.error for f in result.failures)
    assert any("exposes no metric family 'jobs_total'" in e for e in errors)
    assert any(e.startswith("value is NaN from depth") for e in errors)
    assert any(e.startswith("value is +Inf from depth") for e in errors)
    assert result.samples == 0


def test_bucket_quantile_matches_histogram_quantile():
    inf = float("inf")
    buckets = [(0.1, 5.0), (0.25, 8.0), (0.5, 9.0), (1.0, 10.0), (inf, 10.0)]
    assert bucket_quantile(0.95, buckets) == pytest.approx(0.75)
    assert bucket_quantile(0.99, buckets) == pytest.approx(0.95)
    assert bucket_quantile(0.5, [(0.1, 0.0), (inf, 4.0)]) == pytest.approx(
        0.1
    )  # in +Inf: top bound
    assert bucket_quantile(0.5, [(0.1, 0.0), (inf, 0.0)]) is None
