"""Build a Report from the store: the named queries, read in one short read-only connection."""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import duckdb
import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from reports import queries
from reports.model import (
    FULL_COVERAGE,
    TABLE_METRICS,
    Chart,
    Counts,
    Coverage,
    FailedSource,
    FindingRow,
    Governance,
    IntegrationWeek,
    JobWeek,
    MetricWeek,
    Report,
    ScorecardWeek,
    ScoreChange,
    SloWeek,
    TeamPart,
)
from reports.weeks import Week
from seamwatch.metrics import Metric
from seamwatch.scorecard import (
    NA,
    YES,
    ScorecardSettings,
    check_totals,
    fleet_score,
    read_checks,
    team_scores,
)
from seamwatch.store import Store
from seamwatch.timeutil import ensure_utc

REVIEW_DUE_AHEAD = timedelta(days=30)
LAST_INSTANT = timedelta(microseconds=1)  # DuckDB's resolution: the week's end minus this is in it
# Metrics by name, looked up once per series (the Enum's own lookup is slow at 40,000 series).
METRICS = {m.value: m for m in Metric}
# SLO compliance per integration and week (WEEK_FIGURES' slo level, SLO_COMPLIANCE).
SLO_COLUMNS = ("integration_id", "week", "latency_ok", "error_ok", "within_slo")
# The inventory's columns (INTEGRATIONS), in IntegrationWeek's field order.
INVENTORY_COLUMNS = (
    "integration_id", "name", "owner", "tier", "pattern", "lifecycle", "sunset", "inventoried",
    "health", "reason", "runbook", "last_review", "review_due", "slo_latency_p95_ms",
    "slo_error_rate",
)  # fmt: skip


def build_report(
    store: Store,
    week: Week,
    *,
    now: datetime,
    team: str | None = None,
    top_n: int = 5,
    scorecard: ScorecardSettings | None = None,
) -> Report:
    """Everything the review says about `week` (compared with the week before), for `team` or all."""
    now = ensure_utc(now)
    # Weeks that start and end on a UTC hour (every whole-hour time zone) read hourly rollups;
    # a clock change of half an hour within a week (Lord Howe Island) ends it off the hour.
    bounds = (week.previous().start, week.start, week.end)
    aligned = all(int(t.timestamp()) % 3600 == 0 for t in bounds)
    width = "1h" if aligned else "5m"
    policy = scorecard or ScorecardSettings()
    with store.read() as con, ThreadPoolExecutor(max_workers=1) as side:
        params = review_params(con, week, now=now, team=team)
        # Job runs and the checklists on a cursor of their own, beside the rest: while this
        # thread turns rows into the report's values, DuckDB has a query to run on the other
        # core (its queries release the GIL).
        behind = side.submit(
            _jobs_and_checklists, con.cursor(), params, policy, week.start - LAST_INSTANT, team
        )
        run, arrow = _runner(con, params), _arrow(con, params)

        def records(sql: str) -> list[dict[str, Any]]:
            return arrow(sql).to_pylist()

        inventory = arrow(queries.INTEGRATIONS)
        known_teams = [str(t) for t in run(queries.TEAMS)["owner"]]
        figures = arrow(queries.on_rollups(queries.WEEK_FIGURES, width))
        counted = _hours_with_gaps(arrow, figures, width)
        # SLO compliance: from the one pass where its buckets settle it, else from each bucket
        # (and raw samples where they straddle a changed SLO), else by definition
        columns = (*SLO_COLUMNS, "settled")
        slo = [dict(zip(columns, row, strict=True)) for row in _level(figures, "slo", *columns)]
        if not all(row["settled"] for row in slo):
            slo = records(queries.on_rollups(queries.SLO_COMPLIANCE, width))
            if not all(r["complete"] for r in slo):  # buckets cannot say: every sample
                slo = records(queries.SLO_COMPLIANCE_SAMPLES)
        findings = run(queries.FINDINGS)
        notifications = run(queries.NOTIFICATIONS)
        failed_sources = run(queries.FAILED_SOURCES)
        integrations = _integrations(inventory, figures, counted, slo, week)
        changed = _most_changed(integrations, top_n)
        charted = [(iid, m.metric.value, w) for iid, m in changed for w in ("this", "last")]
        keys = [
            {"integration_id": iid, "metric": metric, "week": w}
            for iid, metric, w in dict.fromkeys(charted)
        ]
        sparklines = arrow(queries.SPARKLINES[width])
        hourly = arrow(queries.on_rollups(queries.HOURLY, width), keys=keys) if keys else None
        jobs, card_this, card_last = behind.result()

    series = _hourly(hourly, week) if hourly is not None else {}
    lines = _sparklines(sparklines, week)
    by_id = {i.id: i for i in integrations}
    for i in integrations:
        i.sparkline = lines.get(i.id, [])
    charts = [
        Chart(
            integration_id=iid,
            name=by_id[iid].name,
            metric=m.metric,
            this=series.get((iid, m.metric.value, "this"), []),
            last=series.get((iid, m.metric.value, "last"), []),
            numbers=m,
        )
        for iid, m in changed
    ]
    rows = _findings(findings, by_id)
    degraded = sorted(
        (f for f in rows if week.start <= f.began < week.end), key=lambda f: f.worst_first
    )
    recovered = sorted(
        (f for f in rows if f.resolved_at is not None and week.start <= f.resolved_at < week.end),
        key=lambda f: f.worst_first,
    )
    still_open = sorted(
        (f for f in rows if _open_at(f, week.end) and f.began < week.start),
        key=lambda f: f.worst_first,
    )
    sources = _failed_sources(failed_sources)
    if team is not None:  # a whole source down concerns everyone; a partial one, whom it missed
        sources = [
            replace(s, affected=[a for a in s.affected if a in by_id])
            for s in sources
            if s.failed or set(s.affected) & set(by_id)
        ]
    governance = _governance(integrations, sources, week)
    fleet = [
        (which, counted.get((None, which), hours), *rest)
        for which, hours, *rest in _level(
            figures, "fleet", "week", "hours", "first_ts", "last_ts", "n"
        )
    ]
    cov_this = _coverage(fleet, "this", week)
    cov_last = _coverage(fleet, "last", week.previous())
    report = Report(
        week=week,
        team=team,
        generated_at=now,
        coverage=cov_this,
        coverage_last=cov_last,
        integrations=integrations,
        degraded=degraded,
        recovered=recovered,
        still_open=still_open,
        counts=_counts(rows, notifications, week, "this"),
        counts_last=_counts(rows, notifications, week.previous(), "last"),
        changes=charts,
        governance=governance,
        teams=[],
        known_teams=known_teams,
    )
    if team is None:
        report.teams = _team_parts(report, known_teams)
    report.notes = _notes(report)
    report.scorecard = _scorecard(card_this, card_last)
    report.jobs = _jobs(jobs)
    return report


def _jobs_and_checklists(
    con: duckdb.DuckDBPyConnection,
    params: dict[str, Any],
    policy: ScorecardSettings,
    before: datetime,
    team: str | None,
) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    """JOBS, and the checklist at the report's moment and at `before` (the week before's end),
    read on `con` (a cursor of the review's connection), which is closed afterwards."""
    try:
        jobs = _runner(con, params)(queries.JOBS)
        now = params["as_of"] or params["now"]
        this = read_checks(con, policy, at=now, team=team)
        return jobs, this, read_checks(con, policy, at=before, team=team)
    finally:
        con.close()


def _jobs(frame: pd.DataFrame) -> list[JobWeek]:
    """The Jobs section's rows; a failure's log tail kept to its last line or two."""
    rows = []
    for r in frame.to_dict("records"):
        log = _none(r["last_failure_body"])
        if isinstance(log, str):
            lines = [line.strip() for line in log.strip().splitlines() if line.strip()]
            log = " | ".join(lines[-2:])[-200:] or None
        rows.append(
            JobWeek(
                integration_id=str(r["integration_id"]),
                name=_none(r["name"]),
                owner=_none(r["owner"]),
                runs=int(r["runs"]),
                failed=int(r["failed"]),
                missed=int(r["missed"]),
                median_s=_none(r["median_s"]),
                max_s=_none(r["max_s"]),
                last_failure=_ts(r["last_failure"]),
                last_failure_log=log,
            )
        )
    return rows


def _scorecard(this: pd.DataFrame, last: pd.DataFrame) -> ScorecardWeek:
    """The checklist at the end of this week against the end of the week before."""
    card = ScorecardWeek(score=fleet_score(this), score_last=fleet_score(last))
    teams_last = team_scores(last).set_index("team")["score"].to_dict() if not last.empty else {}
    for row in team_scores(this).itertuples():
        before = teams_last.get(row.team)
        card.teams.append((str(row.team), _none(row.score), _none(before)))
    card.totals = [
        (str(r.check_name), int(r.yes), int(r.no)) for r in check_totals(this).itertuples()
    ]
    # Checks answered differently then and now (n.a. either time is no change), matched by one
    # join in this week's order: a dict of 100,000 rows built row by row took most of a second.
    was = last[["integration_id", "check_name", "status"]].rename(columns={"status": "before"})
    both = this[this["counted"]].merge(was, on=["integration_id", "check_name"], how="inner")
    moved = both[
        (both["before"] != both["status"]) & (both["before"] != NA) & (both["status"] != NA)
    ]
    for r in moved.itertuples():
        change = ScoreChange(
            r.integration_id, str(r.name), _none(r.owner), r.check_name, r.before, r.status,
            r.reason,
        )  # fmt: skip
        (card.improved if r.status == YES else card.worsened).append(change)
    return card


def review_params(
    con: duckdb.DuckDBPyConnection, week: Week, *, now: datetime, team: str | None = None
) -> dict[str, Any]:
    """The parameters the review's queries name (reports.queries): both weeks' bounds, the team,
    the moment shown, and the whole UTC days of each week that daily buckets answer (those
    rolled up: before `rollup_1d_until()`, read here once so that every hour of the weeks comes
    from exactly one kind of bucket, and the daily ranges are constants DuckDB prunes by)."""
    ((until,),) = con.execute("SELECT rollup_1d_until()").fetchall()
    until = until or week.previous().start  # NULL: no day is rolled up yet
    last_days = _whole_days(week.previous().start, week.start, until)
    this_days = _whole_days(week.start, week.end, until)
    return {
        "start": week.start,
        "end": week.end,
        "prev_start": week.previous().start,
        "team": team,
        "as_of": _as_of(week, now),
        "now": now,
        "last_days_from": last_days[0],
        "last_days_to": last_days[1],
        "this_days_from": this_days[0],
        "this_days_to": this_days[1],
    }


def _whole_days(lo: datetime, hi: datetime, until: datetime) -> tuple[datetime, datetime]:
    """The whole UTC days within [lo, hi) that begin before `until`, as [from, to) (empty: the
    two are equal)."""
    day = 86400
    first = math.ceil(lo.timestamp() / day) * day
    last = max(
        first, min(math.floor(hi.timestamp() / day), math.ceil(until.timestamp() / day)) * day
    )
    return (datetime.fromtimestamp(first, UTC), datetime.fromtimestamp(last, UTC))


def _as_of(week: Week, now: datetime) -> datetime | None:
    """The moment whose state a report of `week` shows: the last instant of a week that is over
    (the week ends before `week.end`, and `health_at` counts what happened at or before its t),
    None for a week in progress (its state now, as `v_health` says)."""
    return None if now < week.end else week.end - LAST_INSTANT


def _runner(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> Callable[..., pd.DataFrame]:
    """Run a named query with exactly the parameters it names (DuckDB refuses extra ones)."""

    def run(sql: str) -> pd.DataFrame:
        return con.execute(sql, bound(sql, params)).df()

    return run


def _arrow(con: duckdb.DuckDBPyConnection, params: dict[str, Any]) -> Callable[..., pa.Table]:
    """Run a named query into Arrow (with `more` parameters, if any): the per-integration
    queries' rows become Python values straight from it, where a pandas frame's `to_dict` and NaN
    checks cost about a second at 10,000 integrations."""

    def run(sql: str, **more: Any) -> pa.Table:
        return con.sql(sql, params=bound(sql, {**params, **more})).to_arrow_table()

    return run


def _rows(table: pa.Table, *columns: str) -> Iterator[tuple[Any, ...]]:
    """The rows of `columns` as tuples of Python values, converted column by column (a dict per
    row of 100,000, or a pandas frame's `to_dict` and NaN checks, cost most of a second)."""
    return zip(*(table.column(c).to_pylist() for c in columns), strict=True)


def _level(figures: pa.Table, level: str, *columns: str) -> Iterator[tuple[Any, ...]]:
    """The rows of one level of WEEK_FIGURES, as tuples of the columns it fills."""
    return _rows(figures.filter(pc.equal(figures.column("level"), level)), *columns)


def _number(value: float | None) -> float | None:
    """A figure from Arrow: NaN as None (nothing else needs converting)."""
    return None if value is None or value != value else value


def bound(sql: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters `sql` names (DuckDB refuses extra ones), of `params` (review_params)."""
    return {k: v for k, v in params.items() if f"${k}" in sql}


def _none(value: Any) -> Any:
    """pandas' missing values (NaN, NaT, NA) as None; numpy scalars as Python values."""
    if value is None or value is pd.NaT:
        return None
    kind = type(value)  # plain Python values first: rows from Arrow are nothing else
    if kind is str or kind is int or kind is bool:
        return value
    if kind is float:
        return None if math.isnan(value) else value
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        if pd.isna(value):
            return None
    except (TypeError, ValueError):
        pass
    if hasattr(value, "item"):
        return value.item()
    return value


def _ts(value: Any) -> datetime | None:
    if type(value) is datetime:
        return ensure_utc(value)
    value = _none(value)
    if value is None:
        return None
    return ensure_utc(pd.Timestamp(value).to_pydatetime())


def _hours_with_gaps(
    arrow: Callable[..., pa.Table], figures: pa.Table, width: str
) -> dict[tuple[str | None, str], int]:
    """Hours of data where WEEK_FIGURES' spans cannot say, counted from the sets of hours: by
    (integration, week) for the integrations it lists as `broken`, by (None, week) for a fleet
    row without hours."""
    counted: dict[tuple[str | None, str], int] = {}
    keys = [
        {"integration_id": iid, "week": which}
        for iid, weeks in _level(figures, "integration", "integration_id", "broken")
        for which in weeks or ()
    ]
    if keys:
        table = arrow(queries.on_rollups(queries.SERIES_HOURS, width), keys=keys)
        for iid, which, hours in _rows(table, "integration_id", "week", "hours"):
            counted[(iid, which)] = hours
    if any(hours is None for _, hours in _level(figures, "fleet", "week", "hours")):
        table = arrow(queries.on_rollups(queries.FLEET_HOURS, width))
        for which, hours in _rows(table, "week", "hours"):
            counted[(None, which)] = hours
    return counted


def _integrations(
    inventory: pa.Table,
    figures: pa.Table,
    counted: dict[tuple[str | None, str], int],
    slo: list[dict[str, Any]],
    week: Week,
) -> list[IntegrationWeek]:
    """One row per inventoried integration plus every id with data in either week (hours of
    data from WEEK_FIGURES, or `counted` where it lists them as broken)."""
    rows: dict[str, IntegrationWeek] = {}
    for values in _rows(inventory, *INVENTORY_COLUMNS):
        r = IntegrationWeek(*values)
        r.name = r.name or r.id
        r.inventoried = bool(r.inventoried)
        rows[r.id] = r
    hours, hours_last = week.hours, week.previous().hours
    for iid, this, last, broken, first_ts, last_ts, name, owner, inventoried in _level(
        figures, "integration", "integration_id", "hours", "hours_last", "broken", "first_ts",
        "last_ts", "name", "owner", "inventoried",
    ):  # fmt: skip
        if broken:
            this = counted[(iid, "this")] if "this" in broken else this
            last = counted[(iid, "last")] if "last" in broken else last
        row = rows.get(iid)
        if row is None:  # data in the window, but the id is not in v_integrations
            row = rows[iid] = IntegrationWeek(
                id=iid, name=name or iid, owner=owner, tier=None, pattern=None, lifecycle=None,
                sunset=None, inventoried=bool(inventoried), health=None, reason=None,
                runbook=None, last_review=None, review_due=None, slo_latency_p95_ms=None,
                slo_error_rate=None,
            )  # fmt: skip
        if this is not None:
            row.coverage = min(1.0, this / hours)
            row.first_ts, row.last_ts = _ts(first_ts), _ts(last_ts)
        if last is not None:
            row.coverage_last = min(1.0, last / hours_last)

    for iid, name, this, last, final, last_final in _level(
        figures, "metric", "integration_id", "metric", "this", "last", "final", "last_final"
    ):
        metric = METRICS.get(name)
        if metric is None:  # a metric this version does not report on
            continue
        rows[iid].metrics[metric] = MetricWeek(
            metric, _number(this), _number(last), _number(final), _number(last_final)
        )

    slo_rows: dict[str, dict[str, dict[str, Any]]] = {}
    for r in slo:
        slo_rows.setdefault(r["integration_id"], {})[r["week"]] = r
    for iid, weeks in slo_rows.items():
        row = rows.get(iid)
        if row is None:
            continue
        this, last = weeks.get("this"), weeks.get("last")
        errors = row.metrics.get(Metric.ERROR_RATE)
        budget = None
        if row.slo_error_rate and errors is not None and errors.this is not None:
            budget = 1.0 - errors.this / row.slo_error_rate
        row.slo = SloWeek(
            latency_ok=_none(this["latency_ok"]) if this else None,
            error_ok=_none(this["error_ok"]) if this else None,
            within=_none(this["within_slo"]) if this else None,
            within_last=_none(last["within_slo"]) if last else None,
            budget_left=budget,
        )
    return sorted(rows.values(), key=lambda i: i.id)


def _most_changed(integrations: list[IntegrationWeek], top_n: int) -> list[tuple[str, MetricWeek]]:
    """The series that changed most week over week (both weeks mostly covered), most material
    first."""
    candidates = [
        (i.id, m)
        for i in integrations
        if i.coverage >= 0.5 and i.coverage_last >= 0.5
        for metric, m in i.metrics.items()
        if metric in TABLE_METRICS and m.direction != "same"
    ]
    # What got worse matters more to the review than what got better; then by impact (a
    # material change, not the relative change of a tiny number), then by relative size.
    candidates.sort(
        key=lambda pair: (
            pair[1].direction != "worse",
            -pair[1].impact,
            -pair[1].score,
            pair[0],
            pair[1].metric.value,
        )
    )
    return candidates[:top_n]


def _hourly(table: pa.Table, week: Week) -> dict[tuple[str, str, str], list[float | None]]:
    """HOURLY's series (one row per series, its hours and values as lists) by (integration,
    metric, week): lists indexed by hour of the week, None where there is no data."""
    if table.num_rows == 0:
        return {}
    keys = list(_rows(table, "integration_id", "metric", "week"))
    hours_list = table.column("hours").combine_chunks()
    values_list = table.column("values").combine_chunks()
    rows = np.repeat(np.arange(len(keys)), np.diff(hours_list.offsets.to_numpy()))
    lengths = {"this": round(week.hours), "last": round(week.previous().hours)}
    return _fill(
        keys, rows, hours_list.flatten(), values_list.flatten(), [lengths[w] for *_, w in keys]
    )


def _sparklines(table: pa.Table, week: Week) -> dict[str, list[float | None]]:
    """This week's throughput hour by hour per integration, from SPARKLINES' rows (one per
    integration and hour): the rows' integrations numbered by Arrow's dictionary encoding."""
    if table.num_rows == 0:
        return {}
    ids = pc.dictionary_encode(table.column("integration_id").combine_chunks())
    keys = ids.dictionary.to_pylist()
    rows = ids.indices.to_numpy(zero_copy_only=False)
    hours, values = table.column("hour").combine_chunks(), table.column("value").combine_chunks()
    return _fill(keys, rows, hours, values, [round(week.hours)] * len(keys))


def _fill(
    keys: list[Any], rows: np.ndarray, hours: pa.Array, values: pa.Array, lengths: list[int]
) -> dict[Any, list[float | None]]:
    """Series by key from values at (row of their key, hour): lists of each key's length,
    None where there is no value. Filled with numpy in one matrix, not a Python call per value:
    at 10,000 integrations the sparklines alone are over a million hourly values."""
    at = hours.to_numpy(zero_copy_only=False).astype("int64")
    length = np.array(lengths)
    inside = (at >= 0) & (at < length[rows])
    series = np.full((len(keys), max(lengths)), np.nan)
    series[rows[inside], at[inside]] = values.to_numpy(zero_copy_only=False)[inside]
    gaps = np.isnan(series).sum(axis=1) > series.shape[1] - length  # a gap within its length
    out: dict[Any, list[float | None]] = {}
    for key, n, full, gap in zip(keys, lengths, series.tolist(), gaps.tolist(), strict=True):
        row = full[:n]
        out[key] = [None if x != x else x for x in row] if gap else row
    return out


def _findings(frame: pd.DataFrame, by_id: dict[str, IntegrationWeek]) -> list[FindingRow]:
    rows = []
    for r in frame.to_dict("records"):
        integration = by_id.get(r["integration_id"])
        numbers = None
        if integration is not None and r["metric"]:
            try:
                numbers = integration.metrics.get(Metric(r["metric"]))
            except ValueError:
                numbers = None
        rows.append(FindingRow.from_row(r, numbers=numbers))
    return rows


def _open_at(f: FindingRow, moment: datetime) -> bool:
    return f.began < moment and (f.resolved_at is None or f.resolved_at >= moment)


def _counts(rows: list[FindingRow], notifications: pd.DataFrame, week: Week, which: str) -> Counts:
    counts = Counts(
        opened=sum(week.start <= f.began < week.end for f in rows),
        resolved=sum(
            f.resolved_at is not None and week.start <= f.resolved_at < week.end for f in rows
        ),
        open_at_end=sum(_open_at(f, week.end) for f in rows),
    )
    for r in notifications.to_dict("records"):
        if r["week"] != which:
            continue
        n = int(r["n"])
        if r["status"] == "sent":
            counts.sent += n
        elif r["status"] in ("failed", "undelivered"):
            counts.undelivered += n
        elif r["status"] == "silenced":
            counts.silenced += n
        elif r["status"] == "pending":
            counts.pending += n
    return counts


def _coverage(fleet: list[tuple[Any, ...]], which: str, week: Week) -> Coverage:
    """The fleet's coverage of one week from its WEEK_FIGURES row (week, hours, first, last, n)."""
    rows = [r for r in fleet if r[0] == which]
    if not rows:
        return Coverage(0, week.hours, None, None, 0)
    _, hours, first_ts, last_ts, n = rows[0]
    return Coverage(float(hours), week.hours, _ts(first_ts), _ts(last_ts), int(n))


def _failed_sources(frame: pd.DataFrame) -> list[FailedSource]:
    return [
        FailedSource(
            source=r["source"],
            kind=r["kind"],
            runs=int(r["runs"]),
            failed=int(r["failed"]),
            partial=int(r["partial"]),
            last_error=_none(r["last_error"]),
            last_failure=_ts(r["last_failure"]),
            affected=[str(a) for a in (r["affected"] if r["affected"] is not None else [])],
        )
        for r in frame.to_dict("records")
    ]


def _governance(
    integrations: list[IntegrationWeek], failed: list[FailedSource], week: Week
) -> Governance:
    """What needs a decision, judged as of the end of the week (the day after its Sunday)."""
    as_of = week.sunday + timedelta(days=1)
    g = Governance(failed_sources=failed)
    for i in integrations:
        if not i.inventoried:
            if i.has_data:
                g.not_inventoried.append(i)
            continue
        live = i.lifecycle not in ("retired", "planned")
        if live and (i.review_due is None or i.review_due < as_of):
            g.review_overdue.append(i)
        elif live and i.review_due is not None and i.review_due < as_of + REVIEW_DUE_AHEAD:
            g.review_due.append(i)
        if i.owner is None:
            g.no_owner.append(i)
        past_sunset = i.sunset is not None and i.sunset < as_of
        if (past_sunset or i.lifecycle == "retired") and (i.traffic or 0) > 0:
            g.past_sunset.append(i)
        if i.lifecycle == "active" and not i.has_data:
            g.silent.append(i)
    g.review_overdue.sort(key=lambda i: (i.review_due or date.min, i.id))
    g.review_due.sort(key=lambda i: (i.review_due or date.min, i.id))
    return g


def _team_parts(report: Report, teams: list[str]) -> list[TeamPart]:
    """The fleet report's per-team sections: the same facts, filtered to each team."""
    parts = []
    for team in teams:
        mine = [i for i in report.integrations if i.owner == team]
        ids = {i.id for i in mine}
        g = report.governance
        parts.append(
            TeamPart(
                team=team,
                integrations=mine,
                degraded=[f for f in report.degraded if f.integration_id in ids],
                still_open=[f for f in report.still_open if f.integration_id in ids],
                governance=Governance(
                    review_overdue=[i for i in g.review_overdue if i.id in ids],
                    review_due=[i for i in g.review_due if i.id in ids],
                    past_sunset=[i for i in g.past_sunset if i.id in ids],
                    silent=[i for i in g.silent if i.id in ids],
                    failed_sources=[s for s in g.failed_sources if ids & set(s.affected)],
                ),
            )
        )
    return parts


def _notes(report: Report) -> list[str]:
    """Plain sentences about what the report cannot show, so nobody mistakes a gap for health."""
    notes: list[str] = []
    week, tz = report.week, report.week.zone
    if report.team is not None and report.team not in report.known_teams:
        known = ", ".join(report.known_teams) or "none"
        notes.append(
            f"Team {report.team} owns no integrations in the inventory (teams with integrations: {known})."
        )
    if report.in_progress:
        notes.append(
            f"Week {week.label} is not over yet: figures cover it up to "
            f"{report.generated_at.astimezone(tz):%a %d %b %H:%M} ({tz.key})."
        )
    c = report.coverage
    if c.empty:
        notes.append(f"No samples were collected in week {week.label}.")
    elif c.partial:
        notes.append(
            f"Data covers only {c.share:.0%} of the week: samples from "
            f"{c.first_ts.astimezone(tz):%a %d %b %H:%M} to {c.last_ts.astimezone(tz):%a %d %b %H:%M} "  # type: ignore[union-attr]
            f"({tz.key}); weekly figures describe that part only."
        )
    last = report.coverage_last
    if last.empty and not c.empty:
        notes.append(
            f"No samples for the week before ({week.previous().label}), so there is nothing to compare with."
        )
    elif last.partial:
        notes.append(
            f"The week before ({week.previous().label}) is only {last.share:.0%} covered by data; "
            "compare with care."
        )
    partial = [i for i in report.integrations if i.has_data and i.coverage < FULL_COVERAGE]
    if partial and not c.partial:
        named = ", ".join(f"{i.id} ({i.coverage:.0%})" for i in partial[:5])
        more = f" and {len(partial) - 5} more" if len(partial) > 5 else ""
        notes.append(f"Reported for only part of the week: {named}{more}.")
    return notes
