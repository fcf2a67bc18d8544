"""The review's week figures read whole UTC days from the daily rollup and the hours around them
from hourly buckets; the figures are those of hourly buckets alone, in UTC and in time zones
whose weeks start within a UTC day (a week of 169 hours included), with days not rolled up yet,
a late sample in a rolled-up day, and for a team."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pandas as pd
import pytest

from reports import Week, queries
from reports.build import bound, review_params
from seamwatch.store import Store
from tests.test_report_hours import fleet

WEEKS = [
    Week.parse("2026-W47", ZoneInfo("UTC")),
    Week.parse("2026-W47", ZoneInfo("Europe/Berlin")),
    Week.parse("2026-W43", ZoneInfo("Europe/Berlin")),  # ends on the autumn change: 169 hours
    Week.parse("2026-W47", ZoneInfo("America/New_York")),
]
KEYS = ["level", "integration_id", "metric", "week"]


def figures(store: Store, week: Week, *, days: bool, team: str | None = None) -> pd.DataFrame:
    """WEEK_FIGURES' rows, with the daily rollup's days (`days`) or from hourly buckets only."""
    sql = queries.on_rollups(queries.WEEK_FIGURES, "1h")
    with store.read() as con:
        params = review_params(con, week, now=week.end + timedelta(hours=2), team=team)
        if days:  # the days this test is about are really read from the daily rollup
            assert params["this_days_to"] > params["this_days_from"]
        else:
            for which in ("last", "this"):
                params[f"{which}_days_to"] = params[f"{which}_days_from"]
        frame = con.execute(sql, bound(sql, params)).df()
    frame["broken"] = frame["broken"].map(
        lambda v: sorted(v) if isinstance(v, list | tuple) or hasattr(v, "tolist") else None
    )
    return frame.sort_values(KEYS).reset_index(drop=True)


def assert_same_figures(store: Store, week: Week, team: str | None = None) -> None:
    got, hourly = figures(store, week, days=True, team=team), figures(store, week, days=False, team=team)  # fmt: skip
    assert len(got) > 0
    pd.testing.assert_frame_equal(got, hourly, check_exact=False, rtol=1e-12)


def make_store(tmp_path, week: Week) -> tuple[Store, pd.DataFrame]:
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    with store.write() as con:
        for n in range(5):
            con.execute(
                "INSERT INTO integrations (id, name, owner, slo_latency_p95_ms, slo_error_rate)"
                " VALUES (?, ?, ?, 1.5, 0.5)",
                [f"int-{n}", f"Integration {n}", "a" if n % 2 else "b"],
            )
    samples = fleet(week, someone_all_week=True)
    samples["value"] = (samples.index % 7).astype(float) / 3  # within and outside the SLOs
    store.write_samples(samples, source="t")
    store.rollup()
    return store, samples


@pytest.mark.parametrize("week", WEEKS, ids=lambda w: f"{w.label}-{w.start.tzinfo}")
def test_days_and_the_hours_around_them_give_the_figures_of_hourly_buckets(tmp_path, week):
    store, _ = make_store(tmp_path, week)
    assert_same_figures(store, week)
    assert_same_figures(store, week, team="a")


def test_days_not_rolled_up_yet_and_a_late_sample_come_from_hourly_buckets(tmp_path):
    week = WEEKS[1]
    store, samples = make_store(tmp_path, week)
    at = week.start + timedelta(days=2, hours=5, minutes=3)
    late = samples.iloc[[5]].assign(ts=at)
    recent = samples[samples["ts"] >= week.start + timedelta(days=4)].assign(
        ts=lambda f: f["ts"] + timedelta(minutes=1), value=7.0
    )
    store.write_samples(pd.concat([late, recent]), source="t")
    with store.read() as con:
        params = review_params(con, week, now=week.end, team=None)
    # the late sample's day and every later one wait for the next rollup
    assert params["this_days_to"] == at.replace(hour=0, minute=0)
    assert_same_figures(store, week)
    store.rollup()
    assert_same_figures(store, week)
