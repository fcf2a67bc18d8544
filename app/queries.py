"""Named queries of the dashboard, all over the documented views (and rollups for history).

Parameters are bound, never formatted in; each function returns a DataFrame from a short-lived
read-only connection, cached briefly by `app.data.query`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import duckdb
import pandas as pd

from app.data import query, read, reader, settings, timezone
from seamwatch.timeutil import localize_times

_FLEET_WITH = """
WITH latest_wide AS (
    SELECT integration_id,
        max(value) FILTER (WHERE metric = 'throughput')     AS throughput,
        max(value) FILTER (WHERE metric = 'error_rate')     AS error_rate,
        max(value) FILTER (WHERE metric = 'latency_p95_ms') AS latency_p95_ms,
        max(value) FILTER (WHERE metric = 'dlq_depth')      AS dlq_depth
    FROM v_latest GROUP BY integration_id
),
trouble AS (
    SELECT integration_id, min(onset) AS since  -- when the trouble began, not when it was seen
    FROM v_findings
    WHERE status = 'open' AND (severity IN ('critical', 'warning') OR kind = 'stale')
    GROUP BY integration_id
)
"""
_FLEET_REST = """
    l.throughput, l.error_rate, l.latency_p95_ms, l.dlq_depth,
    coalesce(tm.name, h.owner) AS team, tm.chat AS team_chat, tm.oncall AS team_oncall,
    list_position(['failing', 'no data', 'degrading', 'unmonitored', 'ok', 'not live'], h.health) AS health_rank
"""
_FLEET_JOINS = """
LEFT JOIN latest_wide l USING (integration_id)
LEFT JOIN trouble t USING (integration_id)
LEFT JOIN v_teams tm ON tm.team_id = h.owner
ORDER BY health_rank, h.tier NULLS LAST, since NULLS LAST, h.integration_id
"""
FLEET = f"""{_FLEET_WITH}
SELECT
    h.integration_id, h.name, h.owner, h.tier, h.pattern, h.lifecycle, h.inventoried,
    h.health, h.reason, h.open_findings, h.last_sample, h.last_sample_age_seconds,
    CASE WHEN h.health IN ('failing', 'degrading', 'no data') THEN t.since END AS since,
    i.description, i.source_system, i.target_system, i.sunset, i.last_review, i.review_due,
    i.review_cadence_days, i.contacts, i.chat_route, i.runbook, i.tags,
    i.slo_latency_p95_ms, i.slo_error_rate, {_FLEET_REST}
FROM v_health h
LEFT JOIN v_integrations i USING (integration_id) {_FLEET_JOINS}"""
OVERVIEW_FLEET = f"""{_FLEET_WITH}
SELECT
    h.integration_id, h.name, h.owner, h.tier, h.pattern, h.lifecycle,
    h.health, h.reason, h.open_findings, h.last_sample_age_seconds,
    CASE WHEN h.health IN ('failing', 'degrading', 'no data') THEN t.since END AS since,
    {_FLEET_REST}
FROM v_health h {_FLEET_JOINS}"""
"""FLEET with only what the Overview shows or filters on (no inventory details)."""


def _localized(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """Text columns with their UTC times shown in the display zone ([app] timezone)."""
    zone = timezone()
    for column in columns:
        if column in frame.columns:
            values = frame[column]
            texts = values.dropna().unique()  # a fleet repeats its reasons: each text once
            shown = {v: localize_times(v, zone) for v in texts if isinstance(v, str)}
            frame[column] = values.map(lambda v, s=shown: s.get(v, v) if isinstance(v, str) else v)
    return frame


def fleet() -> pd.DataFrame:
    """Every integration with its health, reason, since when, metadata and latest key values."""
    return _localized(query(FLEET), "reason")


HEALTH = "SELECT health, reason, open_findings, last_sample FROM v_health WHERE integration_id = ?"


DETECTION_RAN = "SELECT count(*) AS n FROM detector_runs WHERE finished_at IS NOT NULL"


def detection_has_run() -> bool:
    """Whether the detectors finished a pass over this store yet (a fresh start has not)."""
    frame = query(DETECTION_RAN)
    return bool(frame["n"].iloc[0])


def integration(integration_id: str) -> pd.DataFrame:
    """One integration's inventory row (empty when unknown)."""
    return query("SELECT * FROM v_integrations WHERE integration_id = ?", (integration_id,))


TEAMS = """
SELECT team_id, name, description, members, contacts, chat, oncall, origin, origin_line,
       declared, integrations
FROM v_teams ORDER BY declared DESC, name
"""


RECENT_MESSAGES = """
SELECT created_at, channel, kind, event, title AS what, status, attempts, sent_at, last_error,
       NULL AS muted_by
FROM v_alert_messages
UNION ALL
SELECT n.created_at, n.channel, NULL, n.event,
       coalesce(n.name, n.integration_id) || ': ' || coalesce(f.summary, n.event),
       'muted', n.attempts, NULL, NULL, n.silenced_by
FROM v_notifications n LEFT JOIN findings f USING (finding_id)
WHERE n.status = 'silenced'
ORDER BY created_at DESC
LIMIT ?
"""


def recent_messages(limit: int = 200) -> pd.DataFrame:
    """The newest chat messages (sent, failed, undelivered, pending) and the notifications a
    silence or maintenance window muted, newest first."""
    return query(RECENT_MESSAGES, (limit,))


def test_requests(limit: int = 20) -> pd.DataFrame:
    """The newest "send a test message" requests and the daemon's answers."""
    return query("SELECT * FROM v_alert_test_requests ORDER BY requested_at DESC LIMIT ?", (limit,))


def teams() -> pd.DataFrame:
    """Every owning team: declared with `[[team]]` (name, members, links) or only an owner slug."""
    return query(TEAMS)


def team(team_id: str) -> pd.DataFrame:
    """One team's row of v_teams (empty when the slug owns nothing and no team declares it)."""
    return query("SELECT * FROM v_teams WHERE team_id = ?", (team_id,))


def integration_ids() -> list[str]:
    """Every known integration id, inventoried or only seen in data."""
    frame = query("SELECT integration_id FROM v_integrations ORDER BY integration_id")
    return frame["integration_id"].tolist()


# With every field a silence can match on (lifecycle, systems, tags), so `silenced` is exact,
# and every field the read model needs (`seamwatch.findings.Finding.from_row`).
FINDINGS = """
    SELECT finding_id, fingerprint, integration_id, name, owner, tier, metric, detector, severity, summary,
           status, onset, first_seen, last_seen, resolved_at, age_seconds, runbook, evidence,
           lifecycle, source_system, target_system, tags
    FROM v_findings
    WHERE (CAST(? AS VARCHAR) IS NULL OR integration_id = ?)
      AND (CAST(? AS TIMESTAMPTZ) IS NULL OR status = 'open' OR coalesce(resolved_at, last_seen) >= ?)
    ORDER BY status = 'open' DESC,
             severity_rank(severity) DESC,
             first_seen DESC
"""


def findings(integration_id: str | None = None, *, since: datetime | None = None) -> pd.DataFrame:
    """Findings, open ones first then newest; of one integration and/or opened or active since."""
    return _localized(query(FINDINGS, (integration_id, integration_id, since, since)), "summary")


NOTIFICATIONS = """
SELECT created_at, event, channel, status, attempts, sent_at, last_error, finding_id, silenced_by
FROM v_notifications WHERE integration_id = ?
ORDER BY created_at DESC LIMIT ?
"""
LATEST = "SELECT metric, value, ts, age_seconds FROM v_latest WHERE integration_id = ?"
ACTIVE_SILENCES = """
SELECT silence_id, matchers, starts_at, ends_at, comment, author, created_at, expired_at, active
FROM v_silences WHERE active ORDER BY created_at DESC
"""


def silences(active_only: bool = False) -> pd.DataFrame:
    """Silences, active first then newest."""
    if active_only:
        return query(ACTIVE_SILENCES)
    return query(
        """
        SELECT silence_id, matchers, starts_at, ends_at, comment, author, created_at, expired_at,
               active
        FROM v_silences ORDER BY active DESC, created_at DESC
        """
    )


@reader
def _overview(con: duckdb.DuckDBPyConnection) -> dict[str, pd.DataFrame]:
    """Rows of `overview()`, read together."""
    return {
        "fleet": con.execute(OVERVIEW_FLEET).df(),
        "detection": con.execute(DETECTION_RAN).df(),
        "silences": con.execute(ACTIVE_SILENCES).df(),
    }


def overview() -> tuple[pd.DataFrame, bool, pd.DataFrame]:
    """The Overview's reads in one short connection (each new connection loads the tables'
    metadata again, which on a large store costs more than these queries): `fleet()`,
    `detection_has_run()` and the active silences."""
    parts = read(_overview)
    has_run = bool(parts["detection"]["n"].iloc[0])
    return _localized(parts["fleet"], "reason"), has_run, parts["silences"]


def runs(since: datetime) -> pd.DataFrame:
    """Collection runs started since a time, newest first."""
    return query(
        """
        SELECT run_id, source, kind, started_at, finished_at, duration_s, samples, status,
               error, failures
        FROM v_runs WHERE started_at >= ? ORDER BY started_at DESC
        """,
        (since,),
    )


def sources() -> pd.DataFrame:
    """Collector status per source (v_sources): last run, failures, failing streak, last error."""
    return query("SELECT * FROM v_sources ORDER BY source")


def reports() -> pd.DataFrame:
    """Every weekly report written, newest first."""
    return query(
        "SELECT report_id, week, team, md_path, html_path, written_at, posted_at, summary"
        " FROM v_reports ORDER BY written_at DESC, report_id"
    )


def view_columns() -> pd.DataFrame:
    """The documented views and their columns, for the SQL console's schema panel."""
    return query(
        """
        SELECT table_name AS view, column_name AS column, data_type AS type, ordinal_position
        FROM information_schema.columns
        WHERE table_name LIKE 'v\\_%' ESCAPE '\\'
        ORDER BY table_name, ordinal_position
        """
    )


# -- history --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Resolution:
    """Where a chart's points come from: raw samples or a rollup table, and its step."""

    name: str
    table: str
    step: timedelta


RAW = Resolution("raw", "samples", timedelta(0))
FIVE_MIN = Resolution("5 min", "rollup_5m", timedelta(minutes=5))
HOURLY = Resolution("1 hour", "rollup_1h", timedelta(hours=1))

MAX_POINTS = 1100
"""About how many points per series a chart may draw before a coarser resolution is used:
a chart is ~600 px wide, and fewer rows keep both the query and the page fast (raw up to 18 h,
5-minute means up to ~3.8 days, hourly means beyond)."""


def pick_resolution(start: datetime, end: datetime, now: datetime) -> Resolution:
    """The finest resolution that keeps a series under MAX_POINTS and is still retained."""
    store = settings().store
    span = end - start
    oldest = now - start
    # raw samples are assumed one minute apart, the usual collection interval
    if span <= timedelta(minutes=MAX_POINTS) and oldest <= store.raw_retention:
        return RAW
    if span <= FIVE_MIN.step * MAX_POINTS and oldest <= store.rollup_5m_retention:
        return FIVE_MIN
    return HOURLY


RESOLUTIONS = {r.name: r for r in (RAW, FIVE_MIN, HOURLY)}
WEEK = timedelta(days=7)


def integration_data(
    integration_id: str, start: datetime, end: datetime, resolution: Resolution, baseline: bool
) -> dict[str, pd.DataFrame]:
    """What an Integration page shows, read in one connection: `health`, `history` in
    [start, end), `last_week` (the same hours a week earlier, moved a week on, or empty),
    `findings` and `notifications`."""
    return read(_integration_data, integration_id, start, end, resolution.name, baseline)


@reader
def _integration_data(
    con: duckdb.DuckDBPyConnection,
    integration_id: str,
    start: datetime,
    end: datetime,
    resolution_name: str,
    baseline: bool,
) -> dict[str, pd.DataFrame]:
    resolution = RESOLUTIONS[resolution_name]
    if baseline:  # both ranges from one scan of the integration's rows, then split
        both = _stored(con, integration_id, start - WEEK, end, resolution)
        history = _history(con, integration_id, start, end, resolution, both)
        last_week = _history(con, integration_id, start - WEEK, end - WEEK, resolution, both)
        last_week["ts"] = pd.to_datetime(last_week["ts"], utc=True) + WEEK
    else:
        history = _history(con, integration_id, start, end, resolution)
        last_week = history.iloc[0:0]
    return {
        "health": con.execute(HEALTH, [integration_id]).df(),
        "history": history,
        "last_week": last_week,
        "findings": con.execute(FINDINGS, [integration_id, integration_id, None, None]).df(),
        "notifications": con.execute(NOTIFICATIONS, [integration_id, 200]).df(),
        "latest": con.execute(LATEST, [integration_id]).df(),
        "silences": con.execute(ACTIVE_SILENCES).df(),
    }


def _stored(
    con: duckdb.DuckDBPyConnection,
    integration_id: str,
    start: datetime,
    end: datetime,
    resolution: Resolution,
) -> pd.DataFrame:
    """(ts, metric, value) rows of one integration in [start, end) as stored at the given
    resolution (raw samples or rollup buckets), ordered by metric and time."""
    if resolution is RAW:
        sql = """
            SELECT ts, metric, value FROM samples
            WHERE integration_id = ? AND ts >= ? AND ts < ? ORDER BY metric, ts
            """
    else:
        sql = f"""
            SELECT bucket AS ts, metric, mean AS value FROM {resolution.table}
            WHERE integration_id = ? AND bucket >= ? AND bucket < ? ORDER BY metric, bucket
            """
    return con.execute(sql, [integration_id, start, end]).df()


def _history(
    con: duckdb.DuckDBPyConnection,
    integration_id: str,
    start: datetime,
    end: datetime,
    resolution: Resolution,
    stored: pd.DataFrame | None = None,
) -> pd.DataFrame:
    """(ts, metric, value) of one integration in [start, end) at the given resolution.

    Rollups are recomputed every few minutes; the newest buckets not rolled up yet are
    aggregated from raw samples so the chart reaches the present. `stored`: the rows of a range
    covering [start, end), read once for several ranges (a scan of a large store costs the
    same for a week as for a month).
    """
    if stored is None:
        rows = _stored(con, integration_id, start, end, resolution)
    else:
        ts = pd.to_datetime(stored["ts"], utc=True)
        inside = ((ts >= pd.Timestamp(start)) & (ts < pd.Timestamp(end))).to_numpy()
        rows = stored[inside].reset_index(drop=True)
    if resolution is RAW:
        return rows
    rolled = rows
    edge = rolled["ts"].max() + resolution.step if not rolled.empty else start
    if pd.isna(edge) or edge >= pd.Timestamp(end):
        return rolled
    width = f"{int(resolution.step.total_seconds())} seconds"
    tail = con.execute(
        """
        SELECT time_bucket(CAST(? AS INTERVAL), ts) AS ts, metric, avg(value) AS value
        FROM samples WHERE integration_id = ? AND ts >= ? AND ts < ?
        GROUP BY ALL ORDER BY metric, ts
        """,
        [width, integration_id, pd.Timestamp(edge).to_pydatetime(), end],
    ).df()
    if tail.empty:
        return rolled
    if rolled.empty:
        return tail
    return pd.concat([rolled, tail], ignore_index=True)


def failing_channels() -> pd.DataFrame:
    """Chat channels marked failing after a permanent delivery failure (v_channels); none for a
    store the daemon has not migrated to the view yet."""
    present = query("SELECT count(*) AS n FROM duckdb_views() WHERE view_name = 'v_channels'")
    if not int(present["n"].iloc[0]):
        return pd.DataFrame(columns=["channel", "since", "failures", "last_error"])
    return query(
        "SELECT channel, since, failures, last_error FROM v_channels WHERE failing ORDER BY channel"
    )
