"""Rollup buckets carry the throughput-weighted error rate's sums (migration 105).

Each error_rate bucket keeps sum(error_rate x throughput) and sum(throughput) over its timestamps
that have both, so a week's weighted error rate is a ratio of bucket sums. These tests hold the
rolled-up sums, and the views' on-the-fly tail, to the pairing of raw samples.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from seamwatch.store import Store

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
WIDTHS = {"rollup_5m": "5 minutes", "rollup_1h": "1 hour"}


def samples(
    minutes: int, *, start: datetime = T0, metrics: tuple[str, ...] = ("throughput", "error_rate")
) -> pd.DataFrame:
    """Minute samples of two integrations; throughput misses every 7th minute and is zero at
    every 11th, so some error rates have no partner and some partners weigh nothing."""
    rows = []
    for i in range(2):
        for m in range(minutes):
            at = start + timedelta(minutes=m)
            if "error_rate" in metrics:
                rows.append((at, f"int-{i}", "error_rate", 0.001 * ((m * 3 + i) % 17)))
            if "throughput" in metrics and m % 7:
                rows.append((at, f"int-{i}", "throughput", 0.0 if m % 11 == 0 else 5.0 + (m % 13)))
    return pd.DataFrame(rows, columns=["ts", "integration_id", "metric", "value"])


def raw_pairs(store: Store, width: str) -> pd.DataFrame:
    return store.query(
        f"""
        SELECT time_bucket(INTERVAL '{width}', e.ts) AS bucket, e.integration_id,
               sum(e.value * t.value) AS weighted_errors, sum(t.value) AS paired_throughput
        FROM samples e JOIN samples t ON t.integration_id = e.integration_id AND t.ts = e.ts
        WHERE e.metric = 'error_rate' AND t.metric = 'throughput'
        GROUP BY ALL ORDER BY ALL
        """
    )


def stored_pairs(store: Store, relation: str) -> pd.DataFrame:
    return store.query(
        f"""
        SELECT bucket, integration_id, weighted_errors, paired_throughput FROM {relation}
        WHERE metric = 'error_rate' AND paired_throughput IS NOT NULL ORDER BY ALL
        """
    )


def assert_same(left: pd.DataFrame, right: pd.DataFrame) -> None:
    assert len(left) == len(right) > 0
    pd.testing.assert_frame_equal(left.reset_index(drop=True), right.reset_index(drop=True),
                                  check_exact=False, rtol=1e-12)  # fmt: skip


@pytest.fixture
def store(tmp_path):
    s = Store(tmp_path / "s.duckdb")
    s.migrate()
    return s


@pytest.mark.parametrize("table", list(WIDTHS))
def test_rolled_up_error_buckets_carry_the_raw_pairing_sums(store, table):
    store.write_samples(samples(150), source="t")
    store.rollup()
    assert_same(stored_pairs(store, table), raw_pairs(store, WIDTHS[table]))
    others = store.scalar(
        f"SELECT count(*) FROM {table} WHERE metric <> 'error_rate'"
        " AND (weighted_errors IS NOT NULL OR paired_throughput IS NOT NULL)"
    )
    assert others == 0


@pytest.mark.parametrize("table", list(WIDTHS))
def test_the_views_tail_pairs_samples_not_rolled_up_yet_as_the_rollup_will(store, table):
    store.write_samples(samples(150), source="t")
    view = "v_" + table
    before = stored_pairs(store, view)  # everything is still in the raw tail
    assert_same(before, raw_pairs(store, WIDTHS[table]))
    store.rollup()
    assert_same(stored_pairs(store, view), before)


def test_a_throughput_written_late_re_pairs_the_hours_error_rates(store):
    store.write_samples(samples(120, metrics=("error_rate",)), source="errors")
    store.rollup()
    assert store.scalar("SELECT count(paired_throughput) FROM rollup_1h") == 0
    store.write_samples(samples(60, metrics=("throughput",)), source="load")  # the first hour
    store.rollup()
    hourly = stored_pairs(store, "rollup_1h")
    assert set(hourly["bucket"]) == {T0}
    assert_same(hourly, raw_pairs(store, "1 hour"))


def test_a_weeks_weighted_error_rate_is_the_ratio_of_bucket_sums(store):
    store.write_samples(samples(600), source="t")
    store.rollup()
    from_buckets = store.query(
        "SELECT integration_id, sum(weighted_errors) / sum(paired_throughput) AS rate"
        " FROM v_rollup_1h WHERE metric = 'error_rate' GROUP BY ALL ORDER BY ALL"
    )
    from_raw = store.query(
        """
        SELECT e.integration_id, sum(e.value * t.value) / sum(t.value) AS rate
        FROM samples e JOIN samples t ON t.integration_id = e.integration_id AND t.ts = e.ts
        WHERE e.metric = 'error_rate' AND t.metric = 'throughput' GROUP BY ALL ORDER BY ALL
        """
    )
    pd.testing.assert_frame_equal(from_buckets, from_raw, check_exact=False, rtol=1e-12)
