"""Work queues judged like Burrow judges consumers, against a real RabbitMQ whose consumer stops,
stalls and resumes."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import numpy as np
import pika
import pytest

from collectors.runner import run_cycle
from detectors.engine import evaluate
from detectors.queues import QueueState, judge
from detectors.settings import DetectorSettings
from tests.collect_helpers import make_source, values
from tests.servers_rabbitmq import AUTH

LINK = "crm-orders-to-erp"
QUEUE = "crm-orders.work"
T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
STEP = timedelta(minutes=5)


def _settings() -> DetectorSettings:
    return DetectorSettings(enabled=["consumer_lag"])


class Broker:
    """A publisher and one consumer on a real broker, driven step by step by the test."""

    def __init__(self, server) -> None:
        self.server = server
        params = pika.ConnectionParameters(
            "127.0.0.1", server.amqp_port, credentials=pika.PlainCredentials(*AUTH)
        )
        self.conn = pika.BlockingConnection(params)
        self.channel = self.conn.channel()
        self.channel.queue_declare(QUEUE, durable=False)
        self.channel.basic_qos(prefetch_count=1)
        self.tag: str | None = None
        self.acking = True
        self.held: list[int] = []

    def publish(self, count: int) -> None:
        for i in range(count):
            self.channel.basic_publish("", QUEUE, f"m{i}".encode())

    def _on_message(self, channel, method, _properties, _body) -> None:
        if self.acking:
            channel.basic_ack(method.delivery_tag)
        else:
            self.held.append(method.delivery_tag)

    def consume(self, *, ack: bool) -> None:
        self.acking = ack
        if ack:
            for tag in self.held:
                self.channel.basic_ack(tag)
            self.held = []
        if self.tag is None:
            self.tag = self.channel.basic_consume(QUEUE, self._on_message)

    def stop(self) -> None:
        if self.tag is not None:
            self.channel.basic_cancel(self.tag)
            self.tag = None
        for tag in self.held:
            self.channel.basic_nack(tag, requeue=True)
        self.held = []

    def run(self, seconds: float) -> None:
        """Deliver and acknowledge for `seconds` (pika returns as soon as it handled events)."""
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            self.conn.process_data_events(time_limit=min(left, 0.2))

    def wait_for_acks(self) -> None:
        """Publish and consume until the broker's 5-second ack rate shows the consumption."""
        deadline = time.monotonic() + 40
        while time.monotonic() < deadline:
            self.publish(20)
            self.run(1.0)
            queue = self.server.api("GET", f"queues/%2F/{QUEUE}").json()
            if ((queue.get("message_stats") or {}).get("ack_details") or {}).get("rate"):
                return
        raise AssertionError(f"{QUEUE} never showed an ack rate")

    def wait_for(self, consumers: int) -> None:
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.server.api("GET", f"queues/%2F/{QUEUE}").json().get("consumers") == consumers:
                return
            self.run(0.2)
        raise AssertionError(f"{QUEUE} never showed {consumers} consumers")


@pytest.mark.server
def test_consumer_that_stops_stalls_and_resumes_is_stopped_stalled_then_ok(
    rabbitmq_server, store, inventory
):
    source = make_source(
        "rabbitmq",
        url=rabbitmq_server.url,
        username=AUTH[0],
        password=AUTH[1],
        queues=[
            {"name": QUEUE, "integration": LINK, "metric": "backlog", "field": "messages_ready"},
            {"name": QUEUE, "integration": LINK, "metric": "consumers", "field": "consumers"},
            {"name": QUEUE, "integration": LINK, "metric": "consume_rate", "field": "ack_rate"},
        ],
    )
    broker = Broker(rabbitmq_server)
    clock = [T0]

    def cycles(count: int, publish: int) -> dict:
        for _ in range(count):
            broker.publish(publish)
            broker.run(2.0)  # deliveries and acks happen; the broker's rates refresh every 5 s
            result = run_cycle(source, store, inventory, now=clock[0])
            assert result.status == "ok", result.failures
            clock[0] += STEP
        return values(store)

    def state() -> str | None:
        found = evaluate(store, inventory, _settings(), clock[0] - STEP).findings
        return found[0].evidence["state"] if found else None

    broker.consume(ack=True)
    broker.wait_for(1)
    broker.wait_for_acks()
    got = cycles(5, publish=20)
    assert got[(LINK, "consumers")] == 1.0

    def consumed() -> float:
        return store.scalar("SELECT max(value) FROM samples WHERE metric = 'consume_rate'") or 0.0

    for _ in range(10):  # the broker's rate refreshes every 5 s, later on a loaded machine
        if consumed() > 0:
            break
        got = cycles(1, publish=20)
    assert consumed() > 0  # some cycle saw the consumption
    assert state() is None  # keeping up: the backlog touches zero

    broker.stop()
    broker.wait_for(0)
    stopped_at = clock[0]
    got = cycles(9, publish=10)  # the broker's figures lag up to 5 s: the window sees them all
    assert got[(LINK, "consumers")] == 0.0
    assert got[(LINK, "backlog")] >= 50
    findings = evaluate(store, inventory, _settings(), clock[0] - STEP).findings
    [stopped] = findings
    assert stopped.evidence["state"] == "STOPPED"
    assert stopped.severity == "critical"
    assert stopped.summary.startswith("STOPPED: no consumer since")
    assert stopped.evidence["since"] == stopped_at.isoformat().replace("+00:00", "Z")
    assert stopped.onset == stopped_at

    broker.consume(ack=False)  # attached again, but it never acknowledges
    broker.wait_for(1)
    broker.run(6.0)  # the ack rate of the healthy phase has decayed to 0
    cycles(8, publish=10)
    assert state() == "STALLED"

    broker.consume(ack=True)
    cycles(8, publish=5)
    assert values(store)[(LINK, "backlog")] == 0.0
    assert state() is None


def test_falling_behind_rewind_and_reset_from_a_window_of_observations():
    step = 300.0
    consumers = np.ones(6)
    # consuming 2/s but the backlog rises at every step: WARNING
    v = judge(
        np.array([100, 160, 230, 300, 380, 450.0]), np.full(6, 2.0), consumers, step_seconds=step
    )
    assert v is not None and v.state is QueueState.WARNING
    # drains now and then: OK
    v = judge(
        np.array([100, 160, 120, 300, 280, 450.0]), np.full(6, 2.0), consumers, step_seconds=step
    )
    assert v is not None and v.state is QueueState.OK
    # one step far beyond the others: REWIND, at that step
    v = judge(
        np.array([10, 12, 11, 9000, 8990, 8985.0]), np.full(6, 2.0), consumers, step_seconds=step
    )
    assert v is not None and (v.state, v.since, v.jump) == (QueueState.REWIND, 3, 8989.0)
    # down to nothing in one step, far more than 0.01 msg/s could consume: RESET
    v = judge(
        np.array([9000, 9010, 9020, 3, 5, 4.0]), np.full(6, 0.01), consumers, step_seconds=step
    )
    assert v is not None and v.state is QueueState.RESET
    # no consumer, backlog growing: STOPPED from the first observation without one
    v = judge(
        np.array([5, 6, 8, 9, 12, 15.0]),
        np.zeros(6),
        np.array([1, 1, 0, 0, 0, 0.0]),
        step_seconds=step,
    )
    assert v is not None and (v.state, v.since) == (QueueState.STOPPED, 2)
    # too few observations: no verdict
    assert judge(np.array([np.nan, np.nan, 5, 6.0]), None, None, step_seconds=step) is None
