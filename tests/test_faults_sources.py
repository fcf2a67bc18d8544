"""Fault suite, sources: endpoints that refuse, hang, answer garbage, a huge body or a body
trickling in. Each costs at most the source's timeout, is recorded as a failure with a
sentence, and never takes the daemon's memory (the answer is cut at max_response_size)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from collectors.runner import run_cycle
from tests.collect_helpers import make_source
from tests.faults_support import (
    MiB,
    RawServer,
    declared_huge,
    garbage,
    hang,
    huge,
    not_json,
    trickle,
)

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


@pytest.fixture
def serve():
    servers: list[RawServer] = []

    def start(behave) -> RawServer:
        server = RawServer(behave)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.close()


def cycle(kind: str, url: str, store, inventory, **keys):
    defaults = {
        "http_json": {"metrics": {"throughput": "rate"}},
        "scrape": {"metrics": {"throughput": "jobs_total"}, "targets": [url]},
        "prometheus": {"metrics": {"throughput": "sum by (integration) (rate(x[5m]))"}},
    }[kind]
    options = {"url": url, **defaults, **keys} if kind != "scrape" else {**defaults, **keys}
    source = make_source(kind, timeout="2s", **options)
    clock = time.perf_counter()
    result = run_cycle(source, store, inventory, T0)
    return result, time.perf_counter() - clock


@pytest.mark.parametrize("kind", ["http_json", "scrape", "prometheus"])
def test_a_huge_answer_is_cut_at_max_response_size(serve, store, inventory, kind):
    server = serve(huge)
    path = "/api/v1/query" if kind == "prometheus" else "/stats"
    url = server.url("/" if kind == "prometheus" else path)
    result, took = cycle(kind, url, store, inventory, max_response_size="4MiB")
    assert result.status == "failed"
    [failure] = result.failures
    assert "answer larger than max_response_size (4 MiB)" in failure.error, failure.error
    assert took < 2.5
    time.sleep(0.2)
    assert server.sent < 64 * MiB  # the reader stopped; the 1 GiB never crossed


@pytest.mark.parametrize("kind", ["http_json", "scrape", "prometheus"])
def test_a_body_trickling_in_costs_at_most_the_timeout(serve, store, inventory, kind):
    server = serve(trickle)
    result, took = cycle(kind, server.url("/x"), store, inventory)
    assert result.status == "failed"
    [failure] = result.failures
    assert "timed out after 2s" in failure.error, failure.error
    assert took < 3.0


def test_a_declared_huge_answer_is_refused_before_reading(serve, store, inventory):
    server = serve(declared_huge)
    result, took = cycle("http_json", server.url("/stats"), store, inventory)
    assert "answer larger than max_response_size (32 MiB)" in result.failures[0].error
    assert took < 1.5


@pytest.mark.parametrize(
    ("behave", "says"),
    [
        (hang, "timed out after 2s"),
        (garbage, "request failed"),
        (not_json, "invalid JSON from GET"),
    ],
)
def test_sources_that_hang_or_answer_garbage_fail_in_a_sentence(
    serve, store, inventory, behave, says
):
    server = serve(behave)
    result, took = cycle("http_json", server.url("/stats"), store, inventory)
    assert result.status == "failed" and took < 3.0
    [failure] = result.failures
    assert says in failure.error and "\n" not in failure.error, failure.error


def test_a_source_that_refuses_fails_and_the_next_source_still_runs(store, inventory, serve):
    from tests.conftest import free_port

    refused, _ = cycle("http_json", f"http://127.0.0.1:{free_port()}/stats", store, inventory)
    assert refused.status == "failed"
    assert "connection refused" in refused.failures[0].error
    runs = store.query("SELECT status FROM v_runs").status.tolist()
    assert runs == ["failed"]


def test_max_response_size_is_validated(cli, workspace):
    workspace.write(
        "config.toml",
        """
        [inventory]
        paths = ["inventory/*.toml"]
        [[sources]]
        name = "ipaas"
        kind = "http_json"
        url = "http://127.0.0.1:9/stats"
        metrics = { throughput = "rate" }
        max_response_size = "lots"
        """,
    )
    result = cli("check")
    assert result.code == 2
    assert "sources[0].max_response_size" in result.out + result.err


def test_http_json_id_listed_twice_is_a_failure_not_a_silent_pick(store, inventory, web):
    web.expect_request("/stats").respond_with_json(
        [
            {"id": "crm-orders-to-erp", "rate": 1},
            {"id": "payments-webhook", "rate": 2},
            {"id": "crm-orders-to-erp", "rate": 9},
        ]
    )
    result, _ = cycle("http_json", web.url_for("/stats"), store, inventory)
    assert result.status == "partial" and result.samples == 1
    [failure] = result.failures
    assert failure.integration == "crm-orders-to-erp"
    assert "is listed 2 times" in failure.error and "items [0], [2]" in failure.error
