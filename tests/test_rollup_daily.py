"""The daily rollup (migration 110) holds each UTC day that is over (a later day has data) as
its hourly buckets added up, whatever the order of writes: a first rollup in chunks, a late
sample in an old day, the next day's first data, retention cutting a day in two, and a store
from before it (the migration fills it from the hourly buckets)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pandas as pd
import pytest

from seamwatch.store import Store
from seamwatch.store.maintenance import rollup

START = datetime(2026, 11, 1, 0, 0, tzinfo=UTC)
COLUMNS = ["bucket", "integration_id", "metric", "hours", "n", "mean", "min", "max", "last",
           "first_ts", "last_ts"]  # fmt: skip


def samples(start: datetime, days: float, step: timedelta, seed: int = 3) -> pd.DataFrame:
    """Two integrations' throughput and latency, every `step`, with a gap of five hours."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(start, start + timedelta(days=days), freq=step, inclusive="left")
    times = times[(times < start + timedelta(hours=30)) | (times >= start + timedelta(hours=35))]
    parts = [
        pd.DataFrame(
            {
                "ts": times,
                "integration_id": iid,
                "metric": metric,
                "value": rng.gamma(2, 50, len(times)),
            }
        )
        for iid in ("a", "b")
        for metric in ("throughput", "latency_p95_ms")
    ]
    return pd.concat(parts, ignore_index=True)


def expected_days(raw: pd.DataFrame) -> pd.DataFrame:
    """Each series' UTC days from its raw samples, as rollup_1d should hold them."""
    raw = raw.sort_values("ts")
    day = raw["ts"].dt.floor("D").rename("bucket")
    hour = raw["ts"].dt.floor("h")
    grouped = raw.assign(hour=hour).groupby([day, raw["integration_id"], raw["metric"]])
    out = grouped.agg(
        hours=("hour", "nunique"), n=("value", "size"), mean=("value", "mean"),
        min=("value", "min"), max=("value", "max"), last=("value", "last"),
        first_ts=("ts", "min"), last_ts=("ts", "max"),
    ).reset_index()  # fmt: skip
    return out[COLUMNS]


def stored_days(store: Store) -> pd.DataFrame:
    frame = store.query(
        f"SELECT {', '.join(COLUMNS)} FROM rollup_1d ORDER BY bucket, integration_id, metric"
    )
    for column in ("bucket", "first_ts", "last_ts"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def assert_days(store: Store, raw: pd.DataFrame) -> None:
    """rollup_1d holds the days of `raw` before its newest (in progress), and no other."""
    expected = expected_days(raw)
    expected = expected[expected["bucket"] < expected["bucket"].max()]
    expected = expected.sort_values(["bucket", "integration_id", "metric"])
    pd.testing.assert_frame_equal(
        stored_days(store), expected.reset_index(drop=True),
        check_dtype=False, check_exact=False, rtol=1e-12,
    )  # fmt: skip


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "s.duckdb")
    s.migrate()
    return s


def test_each_day_holds_its_hours_added_up(store):
    raw = samples(START + timedelta(hours=7, minutes=13), 3.5, timedelta(minutes=7))
    store.write_samples(raw, source="t")
    store.rollup()
    assert_days(store, raw)
    assert store.scalar("SELECT max(hours) FROM rollup_1d") == 24
    assert store.scalar("SELECT rollup_1d_until()") == START + timedelta(days=3)


def test_the_day_in_progress_is_added_up_once_the_next_day_has_data(store):
    raw = samples(START, 1.5, timedelta(minutes=10))
    store.write_samples(raw, source="t")
    store.rollup()
    assert store.scalar("SELECT count(DISTINCT bucket) FROM rollup_1d") == 1
    more = samples(START + timedelta(days=1, hours=12), 0.25, timedelta(minutes=10), seed=4)
    store.write_samples(more, source="t")  # the rest of the second day
    store.rollup()
    assert store.scalar("SELECT count(DISTINCT bucket) FROM rollup_1d") == 1
    after = samples(START + timedelta(days=2), 0.1, timedelta(minutes=10), seed=5)
    store.write_samples(after, source="t")
    store.rollup()
    assert store.scalar("SELECT rollup_1d_until()") == START + timedelta(days=2)
    assert_days(store, pd.concat([raw, more, after], ignore_index=True))


def test_before_any_rollup_no_day_is_in_the_daily_rollup(store):
    assert store.scalar("SELECT rollup_1d_until()") is None
    store.write_samples(samples(START, 0.5, timedelta(minutes=10)), source="t")
    assert store.scalar("SELECT rollup_1d_until()") is None


def test_a_first_rollup_in_chunks_gives_the_same_days(store):
    raw = samples(START, 4, timedelta(minutes=5))
    store.write_samples(raw, source="t")
    with store.write() as con:
        rollup(con, chunk_rows=300)  # an hour or two of samples, a day at a time
    assert_days(store, raw)


def test_a_late_sample_in_an_old_day_is_added_to_it_by_the_next_rollup(store):
    raw = samples(START, 3, timedelta(minutes=10))
    store.write_samples(raw, source="t")
    store.rollup()
    assert store.scalar("SELECT rollup_1d_until()") == START + timedelta(days=2)
    late = pd.DataFrame({"ts": [START + timedelta(days=1, hours=3, minutes=4)],
                         "integration_id": "a", "metric": "throughput", "value": [9999.0]})  # fmt: skip
    store.write_samples(late, source="t")
    # until the rollup, that day (and every later one) is not taken from the daily rollup
    assert store.scalar("SELECT rollup_1d_until()") == START + timedelta(days=1)
    store.rollup()
    assert store.scalar("SELECT rollup_1d_until()") == START + timedelta(days=2)
    assert_days(store, pd.concat([raw, late], ignore_index=True))


def test_retention_drops_whole_days_and_keeps_the_stored_hours_of_the_day_it_cuts(store):
    raw = samples(START, 3, timedelta(minutes=10))
    store.write_samples(raw, source="t")
    store.rollup()
    cutoff = START + timedelta(days=1, hours=6)
    store.rollup_1h_retention = timedelta(days=800)
    result = store.apply_retention(cutoff + timedelta(days=800))
    assert result.rollup_1d == 4  # the first day's four series
    # the hours kept are those of the raw samples from the cutoff's hour on
    assert_days(store, raw[raw["ts"] >= cutoff])


def test_a_store_rolled_up_before_the_migration_gets_its_days_at_the_next_rollup(store):
    raw = samples(START, 2.5, timedelta(minutes=15))
    store.write_samples(raw, source="t")
    store.rollup()
    with store.write() as con:  # as a store rolled up before version 110 was
        con.execute("DROP TABLE rollup_1d")
        con.execute("DROP TABLE rollup_1d_state")
        con.execute("DELETE FROM schema_version WHERE version = 110")
    assert store.migrate() == [110]
    # no day is whole yet: the review reads hourly buckets, as before the migration
    assert store.scalar("SELECT rollup_1d_until()") == START
    cycle = raw.tail(4).assign(ts=START + timedelta(days=2, hours=13))
    store.write_samples(cycle, source="t")
    with store.write() as con:
        rollup(con, chunk_rows=200)  # the days since the oldest hour, a day or so at a time
    assert store.scalar("SELECT rollup_1d_until()") == START + timedelta(days=2)
    assert_days(store, pd.concat([raw, cycle], ignore_index=True))


def test_the_view_shows_the_whole_days_with_the_inventory(store):
    with store.write() as con:
        con.execute("INSERT INTO integrations (id, name, owner) VALUES ('a', 'A', 'team-a')")
    raw = samples(START, 3, timedelta(minutes=10))
    store.write_samples(raw, source="t")
    store.rollup()
    view = store.query("SELECT * FROM v_rollup_1d ORDER BY bucket, integration_id, metric")
    assert len(view) == store.scalar("SELECT count(*) FROM rollup_1d") == 2 * 4
    assert set(view.loc[view["integration_id"] == "a", "owner"]) == {"team-a"}
    assert not view.loc[view["integration_id"] == "b", "inventoried"].any()
    late = raw.iloc[[0]].assign(ts=START + timedelta(days=1, minutes=3))
    store.write_samples(late, source="t")  # the second day waits for the next rollup
    assert store.scalar("SELECT max(bucket) FROM v_rollup_1d") == START


def test_a_day_cut_by_retention_is_mended_after_a_crash_before_it_was_re_added(store):
    raw = samples(START, 3, timedelta(minutes=10))
    store.write_samples(raw, source="t")
    store.rollup()
    cutoff = START + timedelta(days=1, hours=6)
    with store.write() as con:  # the hourly delete done, the process gone before the days
        con.execute("DELETE FROM rollup_1h WHERE bucket < ?", [cutoff])
    store.rollup_1h_retention = timedelta(days=800)
    store.apply_retention(cutoff + timedelta(days=800))  # deletes no hourly bucket itself
    assert_days(store, raw[raw["ts"] >= cutoff])
