"""The demo source: a deterministic simulated fleet whose scripted troubles show in the numbers."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pytest

from collectors.base import CollectContext
from collectors.demo import (
    FLEET,
    FLEET_BY_ID,
    DemoOptions,
    DemoSource,
    Situation,
    emitting_ids,
    simulate,
)
from seamwatch.config import SourceSettings
from seamwatch.inventory import Inventory, Lifecycle, Pattern, load_inventory
from seamwatch.metrics import Metric
from seamwatch.store import SAMPLE_SCHEMA
from seamwatch.timeutil import align

REPO = Path(__file__).resolve().parents[1]
TODAY = date(2026, 11, 25)
ANCHOR = datetime(2026, 11, 25, 9, 13, 27, tzinfo=UTC)  # a Wednesday morning
STEP = timedelta(seconds=60)
DAY = timedelta(days=1)
WEEK = timedelta(days=7)

Series = dict[tuple[str, str], pd.Series]


@pytest.fixture(scope="module")
def backfill_seconds() -> list[float]:
    return []


@pytest.fixture(scope="module")
def history_table(backfill_seconds: list[float]) -> pa.Table:
    """Five weeks of the whole fleet at one-minute resolution, as `seamwatch demo` seeds it."""
    started = time.perf_counter()
    table = simulate(None, ANCHOR - 5 * WEEK, ANCHOR, STEP, seed=7, anchor=ANCHOR)
    backfill_seconds.append(time.perf_counter() - started)
    return table


@pytest.fixture(scope="module")
def history(history_table: pa.Table) -> Series:
    """The same five weeks as one time-indexed series per (integration, metric)."""
    frame = history_table.to_pandas()
    return {
        (str(iid), str(metric)): group.set_index("ts")["value"]
        for (iid, metric), group in frame.groupby(["integration_id", "metric"], sort=False)
    }


@pytest.fixture(scope="module")
def inventory() -> Inventory:
    return load_inventory(["data/inventory/*.toml"], REPO)


def window(series: pd.Series, newest: timedelta, oldest: timedelta) -> pd.Series:
    """Samples whose age before the anchor lies in (newest, oldest]."""
    return series[(series.index >= ANCHOR - oldest) & (series.index < ANCHOR - newest)]


def vs_same_hours(series: pd.Series, span: timedelta, lag: timedelta, stat: str = "mean") -> float:
    """The last `span` against the same hours `lag` earlier (like with like: same hours of week)."""
    recent = window(series, timedelta(0), span)
    earlier = window(series, lag, lag + span)
    return float(getattr(recent, stat)() / getattr(earlier, stat)())


def hourly_ratio(series: pd.Series, span: timedelta, lag: timedelta) -> float:
    """Median over hours of (hourly median now) / (hourly median of the same hour `lag` earlier)."""
    hourly = series.resample("1h").median()
    recent = hourly[hourly.index >= ANCHOR - span]
    earlier = hourly.reindex(recent.index - lag)
    return float(np.nanmedian(recent.to_numpy() / earlier.to_numpy()))


def demo_source(interval: str = "60s", seed: int = 7) -> DemoSource:
    settings = SourceSettings(name="demo", kind="demo", interval=interval)
    return DemoSource(settings, DemoOptions(seed=seed))


def healthy_ids() -> list[str]:
    return [s.id for s in FLEET if s.situation is Situation.HEALTHY and s.metrics]


# -- determinism and the source contract --------------------------------------------------------


def test_same_seed_and_anchor_give_identical_samples_and_another_seed_does_not() -> None:
    start, end = ANCHOR - 2 * DAY, ANCHOR
    first = simulate(None, start, end, STEP, seed=7, anchor=ANCHOR)
    again = simulate(None, start, end, STEP, seed=7, anchor=ANCHOR)
    other = simulate(None, start, end, STEP, seed=8, anchor=ANCHOR)

    assert first.schema == SAMPLE_SCHEMA
    assert first.equals(again)
    assert first.select(["ts", "integration_id", "metric"]).equals(
        other.select(["ts", "integration_id", "metric"])
    )
    assert not first.column("value").equals(other.column("value"))


def test_healthy_series_do_not_depend_on_the_anchor() -> None:
    start, end = ANCHOR - DAY, ANCHOR
    now = simulate(healthy_ids(), start, end, STEP, seed=7, anchor=ANCHOR)
    later = simulate(healthy_ids(), start, end, STEP, seed=7, anchor=ANCHOR + 3 * DAY)
    assert now.equals(later)


def test_first_cycle_fixes_the_anchor_in_the_source_state() -> None:
    source = demo_source()
    first = source.collect(CollectContext(now=ANCHOR, inventory=Inventory()))
    assert first.state == {"anchor": ANCHOR.isoformat()}

    later = CollectContext(now=ANCHOR + DAY, inventory=Inventory(), state=first.state)
    assert source.collect(later).state == {"anchor": ANCHOR.isoformat()}


def test_live_cycle_writes_exactly_what_the_backfill_wrote_for_the_same_minute() -> None:
    source = demo_source()
    seeding = CollectContext(now=ANCHOR, inventory=Inventory())
    batches = list(source.backfill(seeding, ANCHOR - DAY, ANCHOR + 2 * timedelta(hours=1)))
    backfilled = pa.concat_tables(b.samples for b in batches).to_pandas()

    live_time = ANCHOR + timedelta(minutes=47, seconds=13)
    state = batches[-1].state or {}
    live = source.collect(
        CollectContext(now=live_time, inventory=Inventory(), state=state)
    ).samples.to_pandas()

    cycle = pd.Timestamp(align(live_time, source.interval))
    assert set(live["ts"]) == {cycle}
    expected = backfilled[backfilled["ts"] == cycle]
    merged = live.merge(expected, on=["ts", "integration_id", "metric"], suffixes=("_live", "_bf"))
    assert len(merged) == len(live) == len(expected) > 0
    assert (merged["value_live"] == merged["value_bf"]).all()


def test_live_cycle_days_after_seeding_continues_the_same_series() -> None:
    source = demo_source()
    state = {"anchor": ANCHOR.isoformat()}
    live_time = ANCHOR + timedelta(days=3, hours=5, minutes=2)
    live = source.collect(CollectContext(now=live_time, inventory=Inventory(), state=state))
    cycle = align(live_time, source.interval)
    expected = simulate(None, cycle, cycle + STEP, STEP, seed=7, anchor=ANCHOR)
    assert live.samples.equals(expected)
    assert not live.failures


def test_a_cycle_has_one_sample_per_integration_and_metric() -> None:
    live = demo_source().collect(CollectContext(now=ANCHOR, inventory=Inventory())).samples
    ids, metrics = live.column("integration_id").to_pylist(), live.column("metric").to_pylist()
    keys = list(zip(ids, metrics, strict=True))
    assert len(keys) == len(set(keys))
    expected = {
        (s.id, m.value) for s in FLEET for m in s.metrics if s.situation is not Situation.STOPPED
    }
    assert set(keys) == expected
    assert set(live.column("source").to_pylist()) == {"demo"}


def test_backfill_yields_day_sized_batches_of_unique_aligned_keys() -> None:
    source = demo_source(interval="5m")
    start = ANCHOR - timedelta(days=2, hours=10, minutes=3)  # 2026-11-22 23:10:24
    seeding = CollectContext(now=ANCHOR, inventory=Inventory())
    batches = list(source.backfill(seeding, start, ANCHOR))

    assert len(batches) == 4  # a partial first day, two whole days, a partial last day
    seen: set[tuple[object, ...]] = set()
    for batch in batches:
        frame = batch.samples.to_pandas()
        assert frame["ts"].dt.floor("D").nunique() == 1
        keys = set(zip(frame["ts"], frame["integration_id"], frame["metric"], strict=True))
        assert len(keys) == len(frame)
        assert not keys & seen
        seen |= keys
        assert (frame["ts"].astype("int64") % (300 * 10**6) == 0).all()  # microseconds
        assert frame["ts"].min() >= start and frame["ts"].max() < ANCHOR
        assert set(frame["source"]) == {"demo"}


def test_five_weeks_of_the_whole_fleet_is_millions_of_rows_in_seconds(
    history_table: pa.Table, backfill_seconds: list[float]
) -> None:
    assert 2_500_000 <= history_table.num_rows <= 4_000_000
    assert backfill_seconds[0] < 20, f"five weeks took {backfill_seconds[0]:.1f}s"


# -- plausible values ----------------------------------------------------------------------------


def test_values_stay_in_sensible_ranges(history: Series) -> None:
    for (iid, metric), series in history.items():
        values = series.to_numpy()
        assert np.isfinite(values).all(), (iid, metric)
        assert (values >= 0).all(), (iid, metric)
        if metric == Metric.ERROR_RATE:
            assert (values <= 1).all(), iid
        if metric == Metric.DLQ_DEPTH:
            assert (values == np.round(values)).all(), iid
    for spec in FLEET:
        if Metric.LATENCY_P50_MS in spec.metrics:
            p50, p95, p99 = (history[(spec.id, m)].to_numpy() for m in
                             ("latency_p50_ms", "latency_p95_ms", "latency_p99_ms"))  # fmt: skip
            assert (p50 < p95).all() and (p95 < p99).all(), spec.id


def test_each_pattern_reports_its_own_metrics(history: Series) -> None:
    emitted: dict[str, set[str]] = {}
    for iid, metric in history:
        emitted.setdefault(iid, set()).add(metric)
    for spec in FLEET:
        if not spec.metrics:
            assert spec.id not in emitted
            continue
        if spec.pattern is Pattern.SYNC_API:
            assert "dlq_depth" not in emitted[spec.id]
        if spec.pattern in (Pattern.EVENT, Pattern.STREAM, Pattern.FILE):
            assert "dlq_depth" in emitted[spec.id]
        if spec.pattern in (Pattern.BATCH, Pattern.FILE):
            assert not any(m.startswith("latency") for m in emitted[spec.id])


def test_batch_runs_move_records_only_in_their_nightly_window(history: Series) -> None:
    gl = history[("gl-journal-export", "throughput")]
    busy = gl[gl > 0]
    assert 0.02 < len(busy) / len(gl) < 0.05  # about 45 minutes a day
    assert set(busy.index.hour) <= {0, 1, 2}
    assert 500 < busy.median() < 700  # records per second while running


def test_quiet_links_have_mostly_zero_error_rates_and_empty_dlqs(history: Series) -> None:
    errors = history[("crm-accounts-sync", "error_rate")]
    assert (errors == 0).mean() > 0.8
    assert 0.0005 < errors.mean() < 0.002
    dlq = history[("crm-accounts-sync", "dlq_depth")]
    assert (dlq == 0).mean() > 0.9 and dlq.max() > 0  # bursts happen, and drain


def test_traffic_follows_business_hours_and_quiet_weekends(history: Series) -> None:
    crm = history[("crm-orders-to-erp", "throughput")]
    weekday = crm[crm.index.day_of_week < 5]
    weekend = crm[crm.index.day_of_week >= 5]
    office = weekday[(weekday.index.hour >= 9) & (weekday.index.hour < 17)].mean()
    night = weekday[(weekday.index.hour >= 0) & (weekday.index.hour < 5)].mean()
    assert office > 5 * night
    assert weekend.mean() < 0.5 * weekday.mean()


# -- the scripted situations ---------------------------------------------------------------------


def test_crm_orders_latency_rises_about_20_percent_a_week_for_two_weeks(history: Series) -> None:
    p95 = history[("crm-orders-to-erp", "latency_p95_ms")]
    p50 = history[("crm-orders-to-erp", "latency_p50_ms")]
    assert 1.12 <= hourly_ratio(p95, 3 * DAY, WEEK) <= 1.30
    assert 1.12 <= vs_same_hours(p95, 3 * DAY, WEEK) <= 1.30
    assert 1.30 <= hourly_ratio(p95, 3 * DAY, 2 * WEEK) <= 1.60
    assert 1.02 <= hourly_ratio(p50, 3 * DAY, WEEK) < hourly_ratio(p95, 3 * DAY, WEEK)
    before_ramp = (
        window(p95, 2 * WEEK, 3 * WEEK).median() / window(p95, 3 * WEEK, 4 * WEEK).median()
    )
    assert 0.95 <= before_ramp <= 1.05


def test_crm_orders_latency_keeps_rising_in_live_cycles() -> None:
    weeks_later = [
        simulate(["crm-orders-to-erp"], ANCHOR + k * WEEK - DAY, ANCHOR + k * WEEK, STEP, 7, ANCHOR)
        for k in (0, 1)
    ]
    p95 = [t.filter(pc.equal(t["metric"], "latency_p95_ms"))["value"] for t in weeks_later]
    growth = pc.mean(p95[1]).as_py() / pc.mean(p95[0]).as_py()
    assert 1.1 <= growth <= 1.3


def test_payments_webhook_error_rate_stepped_up_two_and_a_half_days_ago(history: Series) -> None:
    errors = history[("payments-webhook", "error_rate")]
    assert window(errors, timedelta(0), 2 * DAY).mean() > 0.01
    assert window(errors, 3 * DAY, 10 * DAY).mean() < 0.004
    assert window(errors, timedelta(hours=48), timedelta(hours=59)).mean() > 0.008
    assert window(errors, timedelta(hours=61), timedelta(hours=72)).mean() < 0.005


def test_shipment_events_dlq_grows_for_three_days_and_never_drains(history: Series) -> None:
    dlq = history[("shipment-events", "dlq_depth")]
    growing = window(dlq, timedelta(0), 3 * DAY).resample("6h").mean()
    assert growing.is_monotonic_increasing
    assert window(dlq, timedelta(0), timedelta(hours=1)).min() > 100
    assert window(dlq, timedelta(0), 2 * DAY).min() > 0
    assert window(dlq, 4 * DAY, 11 * DAY).median() == 0


def test_inventory_sync_throughput_quietly_halved_over_the_last_days(history: Series) -> None:
    throughput = history[("inventory-sync", "throughput")]
    assert 0.4 <= vs_same_hours(throughput, 3 * DAY, WEEK) <= 0.6
    assert 0.4 <= vs_same_hours(throughput, 3 * DAY, 2 * WEEK) <= 0.6
    before = (
        window(throughput, WEEK, 2 * WEEK).mean() / window(throughput, 2 * WEEK, 3 * WEEK).mean()
    )
    assert 0.9 <= before <= 1.1


def test_pos_sales_stream_stopped_sending_six_hours_ago(history: Series) -> None:
    for metric in FLEET_BY_ID["pos-sales-stream"].metrics:
        last = history[("pos-sales-stream", metric.value)].index.max()
        assert ANCHOR - timedelta(hours=6, minutes=1) <= last < ANCHOR - timedelta(hours=6)
    later = simulate(["pos-sales-stream"], ANCHOR, ANCHOR + DAY, STEP, 7, ANCHOR)
    assert later.num_rows == 0


def test_planned_and_retired_integrations_have_no_data(history: Series) -> None:
    ids = {iid for iid, _ in history}
    assert "returns-portal-api" not in ids and "legacy-edi-orders" not in ids


def test_healthy_integrations_are_stationary_week_over_week(history: Series) -> None:
    for iid in healthy_ids():
        throughput = history[(iid, "throughput")]
        ratio = (
            window(throughput, timedelta(0), WEEK).mean()
            / window(throughput, WEEK, 2 * WEEK).mean()
        )
        assert 0.9 <= ratio <= 1.1, (iid, "throughput", ratio)
        if (iid, "latency_p95_ms") in history:
            p95 = history[(iid, "latency_p95_ms")]
            ratio = window(p95, timedelta(0), WEEK).median() / window(p95, WEEK, 2 * WEEK).median()
            assert 0.9 <= ratio <= 1.1, (iid, "latency_p95_ms", ratio)


def test_healthy_integrations_respect_their_slos(history: Series, inventory: Inventory) -> None:
    for iid in healthy_ids():
        integration = inventory.get(iid)
        if integration is None:
            continue
        slo = integration.slo
        if slo.latency_p95_ms is not None:
            hourly = history[(iid, "latency_p95_ms")].resample("1h").median()
            assert hourly.quantile(0.99) < 0.8 * slo.latency_p95_ms, iid
        if slo.error_rate is not None:
            errors = window(history[(iid, "error_rate")], timedelta(0), WEEK)
            assert errors.mean() < 0.5 * slo.error_rate, iid
        if slo.dlq_depth_max is not None:
            assert history[(iid, "dlq_depth")].max() <= slo.dlq_depth_max, iid


# -- the demo inventory --------------------------------------------------------------------------


def test_demo_inventory_loads_cleanly_and_covers_the_vocabulary(inventory: Inventory) -> None:
    assert inventory.errors == []
    integrations = list(inventory)
    assert len(integrations) >= 14
    assert {i.pattern for i in integrations} == set(Pattern)
    assert {i.tier for i in integrations} == {1, 2, 3, 4}
    assert {i.lifecycle for i in integrations} == set(Lifecycle)
    assert len({i.owner for i in integrations if i.owner}) >= 4
    for path in inventory.files:  # one file per owner team
        owners = {inventory.integrations[i].owner for i, o in inventory.origin.items() if o == path}
        assert len(owners) == 1, path


def test_demo_inventory_describes_what_the_simulator_emits(inventory: Inventory) -> None:
    emitting = emitting_ids()
    assert emitting - set(inventory.integrations) == {"partner-shadow-feed"}
    assert set(inventory.integrations) <= set(FLEET_BY_ID)
    for integration in inventory:
        spec = FLEET_BY_ID[integration.id]
        assert integration.pattern is spec.pattern, integration.id
        assert set(integration.collect) == set(spec.metrics), integration.id
        assert set(integration.collect.values()) <= {"demo"}


def test_every_integration_carries_full_metadata(inventory: Inventory) -> None:
    for i in inventory:
        assert i.name and i.description and i.endpoints and i.tags, i.id
        assert i.contract.spec and i.contract.version, i.id
        assert i.runbook and i.runbook.startswith("https://runbooks.example.com/"), i.id
        assert i.last_review is not None, i.id
        if i.owner:
            assert i.contacts and i.chat_route, i.id


def test_several_integrations_share_a_system(inventory: Inventory) -> None:
    touching_erp = [i.id for i in inventory if "SAP ERP" in (i.source_system, i.target_system)]
    assert len(touching_erp) >= 3


def test_inventory_scripts_one_past_sunset_one_orphan_one_overdue_review(
    inventory: Inventory, history: Series
) -> None:
    past_sunset = [
        i.id for i in inventory if i.lifecycle is Lifecycle.DEPRECATED and i.past_sunset(TODAY)
    ]
    assert past_sunset == ["legacy-soap-pricing"]
    assert window(history[("legacy-soap-pricing", "throughput")], timedelta(0), DAY).mean() > 1

    assert [i.id for i in inventory if i.owner is None] == ["marketing-leads-import"]

    overdue = [
        i.id for i in inventory if i.lifecycle is not Lifecycle.RETIRED and i.review_overdue(TODAY)
    ]
    assert overdue == ["hr-employee-sync"]


def test_healthy_integrations_were_reviewed_within_their_cadence(inventory: Inventory) -> None:
    for iid in healthy_ids():
        integration = inventory.get(iid)
        if integration is not None and iid != "hr-employee-sync":
            assert not integration.review_overdue(TODAY), iid
