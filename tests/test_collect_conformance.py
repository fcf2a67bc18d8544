"""One battery every source kind passes, driven by the registry (apprise's AppriseURLTester is
the model): a kind added to SOURCE_KINDS without an entry in CASES fails here, so none skips it.

For each kind: its options model refuses a bad key and a bad value with one line naming the key;
a cycle against a real server on loopback stores samples stamped on the interval, of vocabulary
metrics only; an unreachable, hanging or oversized target costs at most the timeout and a
bounded read, and becomes a typed failure (or, for a probe, the error it measures), never an
exception; a series the inventory gives to another source is not written.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from collectors import SOURCE_KINDS, Batch, CollectContext, FailureKind, build_source, source_class
from collectors.runner import run_cycle
from seamwatch.config import SourceSettings, load_settings
from seamwatch.config.base import StrictModel
from seamwatch.errors import ConfigError
from seamwatch.inventory import Inventory
from seamwatch.metrics import Metric
from seamwatch.timeutil import align
from tests.collect_helpers import make_source
from tests.faults_support import MiB, RawServer, hang, huge
from tests.servers_prometheus import END, FLEET_QUERIES, at, free_port
from tests.servers_rabbitmq import AUTH

T0 = datetime(2026, 11, 24, 12, 0, 13, tzinfo=UTC)  # not on the interval: the runner aligns it
VOCABULARY = {m.value for m in Metric}
OWNED = "crm-orders-to-erp"  # every case collects something for it (it is inventoried)
TIMEOUT_S = 1.0
CAP = "64KiB"


@dataclass(frozen=True)
class Case:
    """How the battery drives one kind: its keys aimed at a base URL, the fixture serving it
    for real, a known key with a wrong value, and how it shows an unreachable target."""

    options: Callable[[str], dict[str, Any]]
    server: str | None  # fixture whose `.url` serves the kind for real; None: no network
    bad: tuple[str, Any]
    now: datetime = T0
    prepare: Callable[[Any], None] | None = None
    # "failure": a typed Failure per request; "measured": the kind's own error_rate of 1.0
    unreachable: str = "failure"
    extra: dict[str, Any] = field(default_factory=dict)


def _json(url: str) -> dict[str, Any]:
    return {"url": f"{url}/stats", "metrics": {"throughput": "rate", "dlq_depth": "dlq"}}


def _scrape(url: str) -> dict[str, Any]:
    return {"targets": [f"{url}/metrics"], "metrics": {"dlq_depth": "queue_depth"}}


def _probe(url: str) -> dict[str, Any]:
    return {"targets": [{"integration": OWNED, "url": f"{url}/health"}], "check_tls": False}


def _rabbit(url: str) -> dict[str, Any]:
    return {
        "url": url,
        "username": AUTH[0],
        "password": AUTH[1],
        "queues": [{"name": "conformance.dlq", "integration": OWNED}],
    }


def _declare_queue(server: Any) -> None:
    """A dead-letter queue the broker reports statistics for (they lag about 5 s)."""
    server.api("PUT", "queues/%2F/conformance.dlq", {"durable": False})
    deadline = time.monotonic() + 30
    while "messages" not in server.api("GET", "queues/%2F/conformance.dlq").json():
        assert time.monotonic() < deadline, "the broker never reported the queue's depth"
        time.sleep(0.5)


CASES: dict[str, Case] = {
    "demo": Case(lambda _url: {"seed": 7}, None, ("seed", -1)),
    "prometheus": Case(
        lambda url: {"url": url, "metrics": dict(FLEET_QUERIES)},
        "prometheus_server",
        ("url", "localhost:9090"),
        now=at(END) + timedelta(seconds=13),
    ),
    "http_json": Case(_json, "loopback", ("url", "ftp://example.com/stats")),
    "scrape": Case(_scrape, "loopback", ("targets", [])),
    "rabbitmq": Case(
        _rabbit, "rabbitmq_server", ("queues", [{"pattern": "("}]), prepare=_declare_queue
    ),
    "probe": Case(_probe, "loopback", ("window", 0), unreachable="measured"),
}

SERVERS = {"prometheus_server", "rabbitmq_server"}  # real servers: marked, needed under CI


def kinds(*, network: bool = False) -> list[Any]:
    """Every registered kind (with a case, or not: then its tests fail), server-marked as needed."""
    params = []
    for kind in sorted(SOURCE_KINDS):
        case = CASES.get(kind)
        if network and case is not None and case.server is None:
            continue
        marks = [pytest.mark.server] if case is not None and case.server in SERVERS else []
        params.append(pytest.param(kind, marks=marks, id=kind))
    return params


def case_of(kind: str) -> Case:
    """The kind's battery entry; a registered kind without one fails its every test."""
    case = CASES.get(kind)
    if case is None:
        pytest.fail(f"source kind {kind!r} has no entry in the conformance battery (CASES)")
    return case


@pytest.fixture
def loopback(web):
    """A real HTTP server on 127.0.0.1 answering as the HTTP kinds expect: JSON, exposition text,
    a health page."""
    web.expect_request("/stats").respond_with_json(
        {OWNED: {"rate": 5.0, "dlq": 2}, "payments-webhook": {"rate": 2.5, "dlq": 0}}
    )
    web.expect_request("/metrics").respond_with_data(
        "# TYPE queue_depth gauge\n"
        f'queue_depth{{integration="{OWNED}"}} 3\n'
        'queue_depth{integration="payments-webhook"} 1\n',
        content_type="text/plain; version=0.0.4",
    )
    web.expect_request("/health").respond_with_data("ok")
    web.url = web.url_for("").rstrip("/")
    return web


def served(request: pytest.FixtureRequest, case: Case) -> str:
    """The base URL of the case's real server, prepared; "" for a kind without network."""
    if case.server is None:
        return ""
    server = request.getfixturevalue(case.server)
    if case.prepare is not None:
        case.prepare(server)
    return str(server.url)


def source_for(kind: str, url: str, **keys: Any):  # type: ignore[no-untyped-def]
    return make_source(kind, timeout=f"{TIMEOUT_S:g}s", **{**case_of(kind).options(url), **keys})


def test_every_registered_kind_has_an_entry_and_nothing_else_does():
    assert set(CASES) == set(SOURCE_KINDS)


@pytest.mark.parametrize("kind", kinds())
def test_the_registry_resolves_the_kind_to_its_class_with_a_strict_options_model(kind):
    case_of(kind)
    cls = source_class(kind)
    assert cls.kind == kind
    assert issubclass(cls.Options, StrictModel)
    assert cls.Options.model_config.get("extra") == "forbid"


@pytest.mark.parametrize("kind", kinds())
def test_options_refuse_an_unknown_key_and_a_bad_value_in_one_line_naming_the_key(kind, workspace):
    case = case_of(kind)
    settings = load_settings(workspace.config)
    key, value = case.bad
    for keys, named in (
        ({**case.options("http://127.0.0.1:9"), "bogus_option": 1}, "bogus_option"),
        ({**case.options("http://127.0.0.1:9"), key: value}, key),
    ):
        block = SourceSettings(name="conformance", kind=kind, **keys)
        with pytest.raises(ConfigError) as caught:
            build_source(settings.model_copy(update={"sources": [block]}), 0)
        message = str(caught.value)
        assert "\n" not in message, message
        assert caught.value.key is not None and named in caught.value.key, message
        assert message.startswith(str(workspace.config)), message


@pytest.mark.parametrize("kind", kinds())
def test_a_cycle_against_a_real_server_stores_aligned_samples_of_vocabulary_metrics(
    kind, request, store, inventory
):
    case = case_of(kind)
    source = source_for(kind, served(request, case))
    cycle = align(case.now, source.interval)
    batch = source.collect(CollectContext(now=cycle, inventory=inventory))
    assert isinstance(batch, Batch) and batch.samples.num_rows > 0
    assert set(batch.samples.column("ts").to_pylist()) == {cycle}
    assert set(batch.samples.column("metric").to_pylist()) <= VOCABULARY
    result = run_cycle(source, store, inventory, case.now)
    assert result.error is None and result.status in ("ok", "partial"), result
    rows = store.query("SELECT DISTINCT ts, metric, source FROM samples")
    assert set(rows.ts) == {cycle}, rows
    assert set(rows.metric) <= VOCABULARY
    assert set(rows.source) == {source.name}
    assert result.written == result.samples > 0


@pytest.mark.parametrize("kind", kinds(network=True))
def test_an_unreachable_target_is_a_typed_failure_not_an_exception(kind, store, inventory):
    case = case_of(kind)
    url = f"http://127.0.0.1:{free_port()}"
    result = run_cycle(source_for(kind, url), store, inventory, case.now)
    assert result.error is None, result.error
    if case.unreachable == "measured":
        assert store.scalar("SELECT value FROM samples WHERE metric = 'error_rate'") == 1.0
        return
    assert result.status == "failed" and result.failures
    assert {f.kind for f in result.failures} == {FailureKind.REFUSED}, result.failures
    assert all(url in f.error for f in result.failures)


@pytest.mark.parametrize("kind", kinds(network=True))
@pytest.mark.parametrize(
    ("behave", "expected"), [(hang, FailureKind.TIMEOUT), (huge, FailureKind.TOO_LARGE)]
)
def test_a_hanging_or_oversized_answer_costs_the_timeout_and_a_bounded_read(
    kind, behave, expected, store, inventory
):
    case = case_of(kind)
    server = RawServer(behave)
    try:
        source = source_for(kind, server.url("").rstrip("/"), max_response_size=CAP)
        clock = time.perf_counter()
        result = run_cycle(source, store, inventory, case.now)
        took = time.perf_counter() - clock
        time.sleep(0.2)
        sent = server.sent
    finally:
        server.close()
    assert result.error is None, result.error
    assert took < TIMEOUT_S + 3, took  # one timeout (requests run concurrently), plus slack
    assert sent < 32 * MiB  # the reader stopped: the 1 GiB answer never crossed
    if case.unreachable == "measured":
        assert store.scalar("SELECT value FROM samples WHERE metric = 'error_rate'") == 1.0
        return
    assert result.status == "failed" and result.failures
    assert {f.kind for f in result.failures} == {expected}, result.failures


@pytest.mark.parametrize("kind", kinds())
def test_series_the_inventory_gives_to_another_source_are_not_written(
    kind, request, store, inventory
):
    case = case_of(kind)
    source = source_for(kind, served(request, case))
    owned = inventory.integrations[OWNED]
    elsewhere = owned.model_copy(update={"collect": {m: "elsewhere" for m in Metric}})
    given = Inventory(integrations={**inventory.integrations, OWNED: elsewhere})
    result = run_cycle(source, store, given, case.now, configured={source.name, "elsewhere"})
    assert result.error is None, result.error
    assert not store.scalar("SELECT count(*) FROM samples WHERE integration_id = ?", [OWNED])
    refused = [f for f in result.failures if f.kind is FailureKind.OWNER]
    assert refused and {f.integration for f in refused} == {OWNED}
    assert all("'elsewhere'" in f.error for f in refused)
