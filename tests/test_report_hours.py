"""The review's hours of data (each integration's and the fleet's coverage) equal counting the
distinct hours of the raw samples.

WEEK_FIGURES counts an integration's hours as the union of its series' spans (first bucket to
last, where no bucket is missing) and leaves the integrations with gaps to SERIES_HOURS and a
fleet its spans cannot settle to FLEET_HOURS. Fleets here have overlapping and disjoint spans,
outages, scattered hours, a series only last week, an id without inventory, samples not rolled
up yet and, in one fleet, no integration covering the whole week; hourly and 5-minute weeks.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from reports import Week, build_report, queries
from reports.build import bound, review_params
from seamwatch.store import Store

WEEKS = {"1h": Week.parse("2026-W47", ZoneInfo("UTC")), "5m": Week.parse("2026-W47", ZoneInfo("Asia/Kolkata"))}  # fmt: skip
STEP = timedelta(minutes=10)
METRICS = ("throughput", "error_rate", "latency_p95_ms")


def hours_between(start: datetime, first: float, last: float) -> tuple[datetime, datetime]:
    return start + timedelta(hours=first), start + timedelta(hours=last)


def series(integration: str, metric: str, start: datetime, end: datetime) -> pd.DataFrame:
    times = pd.date_range(start, end, freq=STEP, inclusive="left")
    return pd.DataFrame(
        {"ts": times, "integration_id": integration, "metric": metric, "value": 1.0}
    )


def fleet(week: Week, *, someone_all_week: bool) -> pd.DataFrame:
    """Two weeks of series with every kind of coverage (hours relative to each week's start)."""
    rng = np.random.default_rng(11)
    parts = []
    for w in (week.previous(), week):
        s = w.start
        if someone_all_week:  # int-0: every metric all week long
            parts += [series("int-0", m, s, w.end) for m in METRICS]
        # int-1: spans overlapping (0-50, 40-100) and apart (120-130), starting mid-hour
        parts.append(series("int-1", "throughput", *hours_between(s, 0.5, 50)))
        parts.append(series("int-1", "latency_p95_ms", *hours_between(s, 40, 100.2)))
        parts.append(series("int-1", "error_rate", *hours_between(s, 120, 130)))
        # int-2: an outage of five hours in one series, the others whole
        parts.append(series("int-2", "throughput", *hours_between(s, 0, 60)))
        parts.append(series("int-2", "throughput", *hours_between(s, 65, 150)))
        parts.append(series("int-2", "error_rate", *hours_between(s, 2, 140)))
        # int-3: scattered hours only
        for hour in sorted(rng.choice(160, size=40, replace=False).tolist()):
            parts.append(series("int-3", "latency_p95_ms", *hours_between(s, hour, hour + 0.4)))
    s = week.previous().start
    parts.append(series("int-4", "throughput", *hours_between(s, 10, 90)))  # last week only
    s = week.start
    parts.append(series("not-inventoried", "throughput", *hours_between(s, 3, 30)))
    return pd.concat(parts, ignore_index=True)


def expected_hours(samples: pd.DataFrame, week: Week) -> tuple[dict, dict]:
    """Distinct hours of the week with a sample, per (integration, week) and per week."""
    per, fleet_hours = {}, {}
    for label, w in (("this", week), ("last", week.previous())):
        inside = samples[(samples["ts"] >= w.start) & (samples["ts"] < w.end)]
        hour = ((inside["ts"] - pd.Timestamp(w.start)) // pd.Timedelta(hours=1)).astype(int)
        for iid, hours in hour.groupby(inside["integration_id"]):
            per[(iid, label)] = hours.nunique()
        if len(hour):
            fleet_hours[label] = hour.nunique()
    return per, fleet_hours


def make_store(tmp_path, week: Week, *, someone_all_week: bool) -> tuple[Store, pd.DataFrame]:
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    with store.write() as con:
        for n in range(5):
            con.execute(
                "INSERT INTO integrations (id, name, owner) VALUES (?, ?, 'a')",
                [f"int-{n}", f"Integration {n}"],
            )
    samples = fleet(week, someone_all_week=someone_all_week)
    cut = week.start + timedelta(days=3, minutes=25)  # later samples not rolled up yet
    store.write_samples(samples[samples["ts"] < cut], source="t")
    store.rollup()
    store.write_samples(samples[samples["ts"] >= cut], source="t")
    return store, samples


def figures(store: Store, week: Week, width: str) -> pd.DataFrame:
    sql = queries.on_rollups(queries.WEEK_FIGURES, width)
    with store.read() as con:
        params = review_params(con, week, now=week.end + timedelta(hours=2))
        return con.execute(sql, bound(sql, params)).df()


def assert_hours(store: Store, samples: pd.DataFrame, week: Week) -> None:
    per, fleet_hours = expected_hours(samples, week)
    report = build_report(store, week, now=week.end + timedelta(hours=2))
    got = {}
    for i in report.integrations:
        if i.coverage:
            got[(i.id, "this")] = round(i.coverage * week.hours)
        if i.coverage_last:
            got[(i.id, "last")] = round(i.coverage_last * week.previous().hours)
    assert got == per
    assert report.coverage.hours == fleet_hours["this"]
    assert report.coverage_last.hours == fleet_hours["last"]


@pytest.mark.parametrize("width", list(WEEKS))
def test_hours_from_spans_and_sets_equal_the_samples_hours(tmp_path, width):
    week = WEEKS[width]
    store, samples = make_store(tmp_path, week, someone_all_week=True)
    assert_hours(store, samples, week)
    frame = figures(store, week, width)
    broken = frame[(frame["level"] == "integration") & frame["broken"].notna()]
    if width == "1h":  # gaps are counted from the sets; a whole week settles the fleet's hours
        assert set(broken["integration_id"]) == {"int-2", "int-3"}
        assert frame.loc[frame["level"] == "fleet", "hours"].notna().all()
    else:  # 5-minute buckets count every series' set in the same pass
        assert broken.empty


def test_a_fleet_its_spans_cannot_settle_is_counted_from_its_hours(tmp_path):
    week = WEEKS["1h"]
    store, samples = make_store(tmp_path, week, someone_all_week=False)
    frame = figures(store, week, "1h")
    assert frame.loc[frame["level"] == "fleet", "hours"].isna().all()
    assert_hours(store, samples, week)


def test_a_team_review_counts_its_own_hours(tmp_path):
    week = WEEKS["1h"]
    store, samples = make_store(tmp_path, week, someone_all_week=False)
    with store.write() as con:
        con.execute("UPDATE integrations SET owner = 'b' WHERE id IN ('int-1', 'int-3')")
    report = build_report(store, week, now=week.end + timedelta(hours=2), team="b")
    mine = samples[samples["integration_id"].isin(["int-1", "int-3"])]
    _, fleet_hours = expected_hours(mine, week)
    assert report.coverage.hours == fleet_hours["this"]
    assert report.coverage_last.hours == fleet_hours["last"]


def test_a_week_that_ends_off_the_utc_hour_counts_only_its_own_samples(tmp_path):
    """Lord Howe Island's clocks go back half an hour within 2026-W14: the week starts on a UTC
    hour and ends on a half hour, so an hourly bucket would straddle its end."""
    week = Week.parse("2026-W14", ZoneInfo("Australia/Lord_Howe"))
    store, samples = make_store(tmp_path, week, someone_all_week=True)
    after = series("int-0", "throughput", week.end, week.end + timedelta(hours=2))
    store.write_samples(after, source="t")  # the next week's first samples
    store.rollup()
    report = build_report(store, week, now=week.end + timedelta(hours=2))
    inside = samples[(samples["ts"] >= week.start) & (samples["ts"] < week.end)]
    assert report.coverage.samples == len(inside)
    assert report.coverage.last_ts == inside["ts"].max()
    _, fleet_hours = expected_hours(samples, week)  # 169 hours: the last one is half an hour
    assert report.coverage.hours == fleet_hours["this"] == 169
