"""Fault suite, data: nothing stored silently wrong. `v_latest` agrees with `v_samples`, one
source owns each series, a run that collects nothing is failed, sub-second or fractional
intervals are refused."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from collectors.base import Batch, CollectContext, Source
from collectors.runner import run_cycle
from seamwatch.store import Store
from tests.collect_helpers import make_source

T0 = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def frame(value: float, ts: datetime = T0, integration: str = "crm-orders-to-erp") -> pd.DataFrame:
    return pd.DataFrame(
        {"ts": [ts], "integration_id": [integration], "metric": ["throughput"], "value": [value]}
    )


def latest_and_samples(store: Store) -> tuple[list, list]:
    latest = store.query("SELECT value, source FROM v_latest ORDER BY integration_id").values
    samples = store.query(
        "SELECT value, source FROM v_samples WHERE (integration_id, metric, ts) IN"
        " (SELECT (integration_id, metric, ts) FROM v_latest) ORDER BY integration_id"
    ).values
    return latest.tolist(), samples.tolist()


def test_latest_shows_only_what_samples_kept(store):
    store.write_samples(frame(5), source="a")
    store.write_samples(frame(7), source="a")  # the same key again: refused by samples
    store.write_samples(frame(12, integration="payments-webhook"), source="a")
    store.write_samples(frame(613, integration="payments-webhook"), source="b")  # another source
    latest, samples = latest_and_samples(store)
    assert latest == samples == [[5.0, "a"], [12.0, "a"]]


def test_migration_repairs_a_latest_that_disagreed(store):
    store.write_samples(frame(5), source="a")
    with store.write() as con:
        con.execute("UPDATE latest SET value = 7, source = 'b'")
        con.execute("DELETE FROM schema_version WHERE version = 3")
    import seamwatch.store as store_module

    store_module._migrated.discard(store.path)
    store.migrate()
    latest, samples = latest_and_samples(store)
    assert latest == samples == [[5.0, "a"]]


class Fixed(Source):
    """A source answering fixed values (a real Source subclass, no server needed)."""

    kind = "fixed"

    def __init__(self, name: str, values: dict[str, float]) -> None:
        super().__init__(make_source("demo", name=name).settings, None)  # type: ignore[arg-type]
        self.values = values

    def collect(self, ctx: CollectContext) -> Batch:
        rows = [
            {"ts": ctx.now, "integration_id": i, "metric": "throughput", "value": v}
            for i, v in self.values.items()
        ]
        return Batch(samples=pa_table(rows)) if rows else Batch()


def pa_table(rows):
    from seamwatch.store import to_sample_table

    return to_sample_table(pd.DataFrame(rows))


def test_the_inventory_collect_map_decides_which_source_owns_a_series(store, inventory):
    # crm-orders-to-erp's collect map gives throughput to "demo"
    configured = {"demo", "gateway"}
    gateway = Fixed("gateway", {"crm-orders-to-erp": 613, "payments-webhook": 4})
    demo = Fixed("demo", {"crm-orders-to-erp": 12})
    result = run_cycle(gateway, store, inventory, T0, configured=configured)
    assert result.status == "partial" and result.samples == 1
    assert [f.error for f in result.failures] == [
        "not stored: the inventory's collect map gives throughput to source 'demo'"
    ]
    assert run_cycle(demo, store, inventory, T0, configured=configured).status == "ok"
    assert store.query(
        "SELECT integration_id, value, source FROM v_latest ORDER BY 1"
    ).values.tolist() == [["crm-orders-to-erp", 12.0, "demo"], ["payments-webhook", 4.0, "gateway"]]


def test_check_warns_when_two_sources_collect_a_series_nobody_owns(cli, workspace):
    workspace.write(
        "config.toml",
        """
        [store]
        path = "data/seamwatch.duckdb"
        [inventory]
        paths = ["inventory/*.toml"]
        [[sources]]
        name = "prom"
        kind = "prometheus"
        url = "http://127.0.0.1:9/"
        metrics = { throughput = "sum by (integration) (rate(a[5m]))", error_rate = "x" }
        [[sources]]
        name = "ipaas"
        kind = "http_json"
        url = "http://127.0.0.1:9/stats"
        metrics = { throughput = "rate", error_rate = "err" }
        """,
    )
    out = cli("check").out
    warnings = [line for line in out.splitlines() if "both collect" in line]
    # crm-orders-to-erp names an owner for throughput (demo), payments-webhook for nothing
    assert any(
        "sources[0].metrics.throughput" in w and "1 integration(s) (payments-webhook)" in w
        for w in warnings
    ), out
    assert any("error_rate for 2 integration(s)" in w for w in warnings), out


def test_a_run_that_collects_nothing_and_names_no_failure_is_failed(store, inventory):
    empty = Fixed("gateway", {})
    result = run_cycle(empty, store, inventory, T0)
    assert result.status == "failed"
    assert result.error == "collected no samples (no series matched)"
    row = store.query("SELECT status, error FROM v_runs").values.tolist()
    assert row == [["failed", "collected no samples (no series matched)"]]


@pytest.mark.parametrize(
    ("interval", "why"),
    [
        ("500ms", "at least 1s"),
        ("1.5s", "whole number of seconds"),
        ("0s", "a duration must be positive"),
    ],
)
def test_intervals_under_a_second_or_fractional_are_refused(cli, workspace, interval, why):
    text = workspace.config.read_text().replace('interval = "60s"', f'interval = "{interval}"')
    workspace.config.write_text(text)
    result = cli("collect", "--once")
    assert result.code == 2
    assert result.err.count("\n") == 1 and "sources[0].interval" in result.err, result.err
    assert why in result.err and repr(interval) in result.err, result.err


def test_scrape_share_of_one_family_by_label_is_the_true_share(store, inventory, web):
    """requests_total{code=~"4.."} per requests_total: 10 of 100 requests failed -> 0.10."""
    from datetime import timedelta

    bodies = iter(
        [
            'requests_total{integration="crm-orders-to-erp",code="200"} 0\n'
            'requests_total{integration="crm-orders-to-erp",code="400"} 0\n',
            'requests_total{integration="crm-orders-to-erp",code="200"} 90\n'
            'requests_total{integration="crm-orders-to-erp",code="400"} 6\n'
            'requests_total{integration="crm-orders-to-erp",code="404"} 4\n',
        ]
    )
    web.expect_request("/metrics").respond_with_handler(
        lambda _r: __import__("werkzeug").Response(
            "# TYPE requests counter\n" + next(bodies), content_type="text/plain"
        )
    )
    source = make_source(
        "scrape",
        targets=[web.url_for("/metrics")],
        metrics={
            "error_rate": {
                "family": "requests_total",
                "match": {"code": "=~4.."},
                "per": "requests_total",
            }
        },
    )
    for step in range(2):
        source.clock = lambda step=step: (T0 + timedelta(seconds=60 * step)).timestamp()  # type: ignore[attr-defined]
        run_cycle(source, store, inventory, T0 + timedelta(minutes=step))
    value = store.scalar("SELECT value FROM samples WHERE metric = 'error_rate'")
    assert value == pytest.approx(0.10)


def test_scrape_match_refuses_a_bad_regular_expression():
    with pytest.raises(ValueError, match="not a regular expression"):
        make_source(
            "scrape",
            targets=["http://127.0.0.1:9/metrics"],
            metrics={"error_rate": {"family": "x_total", "match": {"code": "=~4(("}}},
        )
