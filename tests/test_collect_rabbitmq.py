"""The rabbitmq source against a real broker with a dead-letter queue that fills up."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from collectors.runner import run_cycle
from tests.collect_helpers import make_source, values
from tests.servers_prometheus import free_port
from tests.servers_rabbitmq import AUTH

pytestmark = pytest.mark.server
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_dlq_depth_follows_dead_lettered_messages(rabbitmq_server, store, inventory):
    rabbitmq_server.dead_letter("crm-orders-to-erp", "crm-orders-to-erp.dlq", 5)
    rabbitmq_server.dead_letter("payments-webhook", "payments-webhook.dlq", 2)
    rabbitmq_server.api("PUT", "queues/%2F/legacy-payments-errors", {"durable": False})
    rabbitmq_server.wait_for_depth("crm-orders-to-erp.dlq", 5)
    rabbitmq_server.wait_for_depth("payments-webhook.dlq", 2)
    source = make_source(
        "rabbitmq",
        url=rabbitmq_server.url,
        username=AUTH[0],
        password=AUTH[1],
        queues=[
            {"name": "legacy-payments-errors", "integration": "payments-webhook"},
            {"pattern": r"(?P<integration>.+)\.dlq"},
            {
                "pattern": r"(?P<integration>[a-z-]+)",
                "metric": "throughput",
                "field": "publish_rate",
            },
        ],
    )
    assert source.integrations() == {"payments-webhook"}
    result = run_cycle(source, store, inventory, now=NOW)
    assert result.status == "ok", result.failures
    got = values(store)
    assert got[("crm-orders-to-erp", "dlq_depth")] == 5.0
    assert got[("payments-webhook", "dlq_depth")] == 2.0  # its DLQ plus the empty legacy queue
    # the source queues saw publishes: their rate is reported where the broker has one
    rates = {k: v for k, v in got.items() if k[1] == "throughput"}
    assert set(rates) <= {("crm-orders-to-erp", "throughput"), ("payments-webhook", "throughput")}
    assert all(v >= 0 for v in rates.values())


def test_wrong_password_and_rules_matching_nothing_are_reported(rabbitmq_server, store, inventory):
    bad = make_source("rabbitmq", url=rabbitmq_server.url, username="guest", password="nope")
    [failure] = run_cycle(bad, store, inventory, now=NOW).failures
    assert failure.error.startswith(
        f"HTTP 401 Unauthorized from GET {rabbitmq_server.url}/api/queues"
    )
    assert "nope" not in failure.error

    missing = make_source(
        "rabbitmq",
        url=rabbitmq_server.url,
        username="guest",
        password="guest",
        queues=[{"name": "no-such-queue", "integration": "crm-orders-to-erp"}],
    )
    [failure] = run_cycle(missing, store, inventory, now=NOW).failures
    assert failure.integration == "crm-orders-to-erp"
    assert failure.error == f"no queue on {rabbitmq_server.url} matches queue 'no-such-queue'"


def test_unreachable_broker_is_one_failure(store, inventory):
    port = free_port()
    source = make_source(
        "rabbitmq", url=f"http://127.0.0.1:{port}", username="guest", password="guest"
    )
    [failure] = run_cycle(source, store, inventory, now=NOW).failures
    assert failure.error.startswith("connection refused (nothing listening): GET http://127.0.0.1")


def test_a_pattern_without_an_integration_group_is_a_config_error():
    with pytest.raises(ValueError, match=r"needs a group \(\?P<integration>"):
        make_source("rabbitmq", url="http://127.0.0.1:1", queues=[{"pattern": ".*dlq"}])
