"""The review's SLO compliance from buckets equals checking every sample (migrations 106, 109).

`reports.queries.SLO_COMPLIANCE` adds up the counts rollups took against the SLOs (while the
inventory still has those SLOs), settles other buckets wholly within or outside an SLO from
their min and max, and checks only the rest sample by sample. REFERENCE is the definition
(every sample of v_samples against its SLO, grouped by timestamp for "within both"); on fleets
with gaps, unshared timestamps, values on the threshold, one-SLO integrations, SLOs changed
after the rollup, a tail not rolled up yet and a raw horizon inside the weeks, both must give
the same numbers, for hourly and 5-minute weeks.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pytest

from reports import Week, queries
from reports.build import bound, review_params
from seamwatch.store import Store

REFERENCE = queries.SLO_COMPLIANCE_SAMPLES

WEEKS = {"1h": Week.parse("2026-W47", ZoneInfo("UTC")), "5m": Week.parse("2026-W47", ZoneInfo("Asia/Kolkata"))}  # fmt: skip
# (latency SLO, error-rate SLO, owner) per integration: both, one, the other, none
SLOS = [(400.0, 0.01, "a"), (300.0, None, "a"), (None, 0.02, "b"), (None, None, "b"), (500.0, 0.005, "b")]  # fmt: skip


def fleet(seed: int, start: datetime, end: datetime, step: timedelta) -> pd.DataFrame:
    """Latency and error-rate series that cross their SLOs now and then, each missing its own
    random timestamps, with values exactly on the threshold and a few NaN and infinite ones
    (which the store drops on write: more gaps of one metric only)."""
    rng = np.random.default_rng(seed)
    times = pd.date_range(start, end, freq=step, inclusive="left")
    rows = []
    for n, (lat_slo, err_slo, _) in enumerate(SLOS):
        for metric, level, slo in (
            ("latency_p95_ms", 300.0, lat_slo or 350.0),
            ("error_rate", 0.006, err_slo or 0.01),
        ):
            keep = rng.random(len(times)) > 0.15
            values = level * rng.lognormal(0.0, 0.35, len(times))
            values[rng.random(len(times)) < 0.01] = np.nan
            values[rng.random(len(times)) < 0.005] = np.inf
            values[rng.random(len(times)) < 0.01] = slo
            if n == 4:  # far inside its SLOs, but for six hours far outside both at once
                values = np.full(len(times), level / 10)
                values[(times >= start + timedelta(days=9)) & (times < start + timedelta(days=9, hours=6))] = level * 5  # fmt: skip
            rows.append(
                pd.DataFrame(
                    {
                        "ts": times[keep],
                        "integration_id": f"int-{n}",
                        "metric": metric,
                        "value": values[keep],
                    }
                )
            )
    return pd.concat(rows, ignore_index=True)


def inventory(store: Store) -> None:
    with store.write() as con:
        for n, (lat, err, owner) in enumerate(SLOS):
            con.execute(
                "INSERT INTO integrations (id, name, owner, slo_latency_p95_ms, slo_error_rate)"
                " VALUES (?, ?, ?, ?, ?)",
                [f"int-{n}", f"Integration {n}", owner, lat, err],
            )


def compliance(
    store: Store, sql: str, week: Week, team: str | None, *, complete: bool = True
) -> pd.DataFrame:
    params = {"start": week.start, "end": week.end, "prev_start": week.previous().start, "team": team}  # fmt: skip
    with store.read() as con:
        frame = con.execute(sql, {k: v for k, v in params.items() if f"${k}" in sql}).df()
    if "complete" in frame:  # where buckets cannot say, the review reads the definition
        assert bool(frame["complete"].all()) is complete
    columns = ["integration_id", "week", "latency_ok", "error_ok", "within_slo"]
    return frame[columns].sort_values(["integration_id", "week"]).reset_index(drop=True)


def one_pass(store: Store, week: Week, width: str, team: str | None) -> pd.DataFrame:
    """WEEK_FIGURES' slo level: the rows it settles (the review reads SLO_COMPLIANCE for all
    when any is not)."""
    sql = queries.on_rollups(queries.WEEK_FIGURES, width)
    with store.read() as con:
        params = review_params(con, week, now=week.end + timedelta(hours=2), team=team)
        frame = con.execute(sql, bound(sql, params)).df()
    frame = frame[frame["level"] == "slo"]
    columns = ["integration_id", "week", "latency_ok", "error_ok", "within_slo", "settled"]
    return frame[columns].sort_values(["integration_id", "week"]).reset_index(drop=True)


def assert_same_compliance(
    store: Store,
    width: str,
    team: str | None = None,
    *,
    complete: bool = True,
    settled: bool | None = None,
) -> pd.DataFrame:
    """SLO_COMPLIANCE, and WEEK_FIGURES' slo level where it settles a row, equal the definition;
    `settled`: every row of the one pass is settled (True) or not all are (False)."""
    week = WEEKS[width]
    expected = compliance(store, REFERENCE, week, team)
    fast = one_pass(store, week, width, team)
    if settled is not None:
        assert bool(fast["settled"].all()) is settled
    mine = fast[fast["settled"].astype(bool)].drop(columns="settled").reset_index(drop=True)
    pd.testing.assert_frame_equal(
        mine,
        expected.merge(mine[["integration_id", "week"]]),
        check_exact=False, rtol=1e-12, check_dtype=False,
    )  # fmt: skip
    sql = queries.on_rollups(queries.SLO_COMPLIANCE, width)
    got = compliance(store, sql, week, team, complete=complete)
    if not complete:  # its numbers are not used; the definition's are
        assert not fast["settled"].all()  # so the review reads the definition too
        return expected
    assert len(expected) > 0
    pd.testing.assert_frame_equal(got, expected, check_exact=False, rtol=1e-12, check_dtype=False)
    return got


def roll_up_then_change(store: Store, change: str) -> None:
    """Roll the store up against the inventory's SLOs, then change them (`change`: SQL)."""
    store.rollup()
    with store.write() as con:
        con.execute(change)


@pytest.fixture(params=list(WEEKS))
def width(request) -> str:
    return request.param


@pytest.fixture
def store(tmp_path, width) -> Store:
    s = Store(tmp_path / "s.duckdb")
    s.migrate()
    inventory(s)
    week = WEEKS[width]
    start, end = week.previous().start - timedelta(hours=3), week.end + timedelta(hours=3)
    s.write_samples(fleet(7, start, end, timedelta(minutes=1)), source="t")
    return s


def test_bucket_compliance_equals_checking_every_sample(store, width):
    store.rollup()
    got = assert_same_compliance(store, width, settled=True)  # the one pass settles it all
    assert set(got["integration_id"]) == {"int-0", "int-1", "int-2", "int-4"}
    assert assert_same_compliance(store, width, team="b")["integration_id"].nunique() == 2


def test_samples_not_rolled_up_yet_count_the_same(store, width):
    assert_same_compliance(store, width)  # all of it in the views' raw tail
    store.rollup()
    week = WEEKS[width]
    late = fleet(8, week.start + timedelta(days=2), week.start + timedelta(days=3), timedelta(seconds=30))  # fmt: skip
    late = late[late["ts"].dt.second == 30]  # new timestamps, between the stored ones
    store.write_samples(late, source="late")
    assert_same_compliance(store, width)


def test_hours_past_the_raw_horizon_are_left_to_the_definition(store, width):
    store.rollup()
    cut = WEEKS[width].previous().start + timedelta(days=2, minutes=37)
    with store.write() as con:
        con.execute("DELETE FROM samples WHERE ts < ?", [cut])
    assert_same_compliance(store, width, complete=False)


def test_buckets_rolled_up_before_the_pair_count_are_left_to_the_definition(store, width):
    store.rollup()
    with store.write() as con:
        con.execute("UPDATE rollup_5m SET paired_latency = NULL")
        con.execute("UPDATE rollup_1h SET paired_latency = NULL")
        con.execute("UPDATE rollup_1d SET paired_latency = NULL")  # as migration 110 adds them
    assert_same_compliance(store, width, complete=False)


def test_a_fleet_whose_metrics_share_every_timestamp(tmp_path):
    s = Store(tmp_path / "s.duckdb")
    s.migrate()
    inventory(s)
    week = WEEKS["1h"]
    data = fleet(3, week.previous().start, week.end, timedelta(minutes=5))
    data = data[np.isfinite(data["value"])]
    grid = data.pivot_table(index=["ts", "integration_id"], columns="metric", values="value")
    shared = grid.dropna().stack().rename("value").reset_index()  # both metrics at every ts
    s.write_samples(shared[["ts", "integration_id", "metric", "value"]], source="t")
    s.rollup()
    assert_same_compliance(s, "1h")
    assert s.scalar("SELECT count(*) FROM rollup_1h WHERE metric = 'error_rate' AND paired_latency <> n") == 0  # fmt: skip


def test_paired_latency_counts_the_error_rate_timestamps_with_a_latency_sample(store):
    store.rollup()
    expected = store.query(
        """
        SELECT time_bucket(INTERVAL 1 HOUR, e.ts) AS bucket, e.integration_id, count(l.ts) AS n
        FROM samples e LEFT JOIN samples l
            ON l.integration_id = e.integration_id AND l.ts = e.ts AND l.metric = 'latency_p95_ms'
        WHERE e.metric = 'error_rate' GROUP BY ALL ORDER BY ALL
        """
    )
    stored = store.query(
        "SELECT bucket, integration_id, paired_latency AS n FROM rollup_1h"
        " WHERE metric = 'error_rate' ORDER BY ALL"
    )
    pd.testing.assert_frame_equal(stored, expected, check_dtype=False)
    assert datetime(2026, 11, 16, tzinfo=UTC) >= stored["bucket"].min()


def test_rollups_count_the_samples_within_the_slo_they_had(store):
    store.rollup()
    counted = store.query(
        "SELECT bucket, integration_id, metric, slo, within_slo FROM rollup_1h"
        " WHERE slo IS NOT NULL ORDER BY ALL"
    )
    expected = store.query(
        """
        SELECT time_bucket(INTERVAL 1 HOUR, s.ts) AS bucket, s.integration_id, s.metric,
               any_value(t.slo) AS slo, count(*) FILTER (WHERE s.value <= t.slo) AS within_slo
        FROM samples s JOIN (
            SELECT id, 'latency_p95_ms' AS metric, slo_latency_p95_ms AS slo FROM integrations
            UNION ALL SELECT id, 'error_rate', slo_error_rate FROM integrations
        ) t ON t.id = s.integration_id AND t.metric = s.metric
        WHERE t.slo IS NOT NULL GROUP BY ALL ORDER BY ALL
        """
    )
    pd.testing.assert_frame_equal(counted, expected, check_dtype=False)
    outside = store.query(
        "SELECT bucket, integration_id, paired_outside AS n FROM rollup_1h"
        " WHERE paired_outside IS NOT NULL ORDER BY ALL"
    )
    pairs = store.query(
        """
        SELECT time_bucket(INTERVAL 1 HOUR, e.ts) AS bucket, e.integration_id,
               count(l.ts) FILTER (WHERE NOT e.value <= i.slo_error_rate
                                     AND NOT l.value <= i.slo_latency_p95_ms) AS n
        FROM samples e JOIN integrations i ON i.id = e.integration_id
        LEFT JOIN samples l ON l.integration_id = e.integration_id AND l.ts = e.ts
            AND l.metric = 'latency_p95_ms'
        WHERE e.metric = 'error_rate' AND i.slo_error_rate IS NOT NULL
          AND i.slo_latency_p95_ms IS NOT NULL
        GROUP BY ALL ORDER BY ALL
        """
    )
    pd.testing.assert_frame_equal(outside, pairs, check_dtype=False)
    assert outside["n"].sum() > 0


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE integrations SET slo_latency_p95_ms = 350 WHERE id IN ('int-0', 'int-4')",
        "UPDATE integrations SET slo_error_rate = 0.012 WHERE id IN ('int-2', 'int-4')",
        "UPDATE integrations SET slo_latency_p95_ms = 320, slo_error_rate = 0.008",
        "UPDATE integrations SET slo_error_rate = NULL WHERE id = 'int-0'",
        "UPDATE integrations SET slo_latency_p95_ms = 450 WHERE id = 'int-3'",
        # every error rate now outside: its timestamps outside both must be paired again
        "UPDATE integrations SET slo_error_rate = 0.0001 WHERE id = 'int-0'",
    ],
)
def test_after_an_slo_changes_its_old_counts_give_way_to_min_max_and_samples(store, width, change):
    roll_up_then_change(store, change)
    assert_same_compliance(store, width)


@pytest.mark.parametrize(
    "change",
    [
        "UPDATE integrations SET slo_latency_p95_ms = 340, slo_error_rate = 0.009",
        "UPDATE integrations SET slo_latency_p95_ms = 250 WHERE id = 'int-1'",
    ],
)
def test_a_series_rolled_up_against_two_slos_in_the_weeks(store, width, change):
    roll_up_then_change(store, change)
    week = WEEKS[width]
    # from within the last day: its hours were rolled up against both SLOs, the days before it
    # against the old ones
    late = fleet(9, week.start + timedelta(days=6, hours=7), week.end, timedelta(seconds=30))
    store.write_samples(late[late["ts"].dt.second == 30], source="late")
    store.rollup()  # the later buckets against the new SLOs, the earlier ones the old
    slos = store.query(
        "SELECT integration_id, count(DISTINCT slo) AS n FROM rollup_1h"
        " WHERE metric = 'latency_p95_ms' GROUP BY ALL"
    )
    assert (slos["n"] == 2).any()
    assert_same_compliance(store, width, settled=False)
