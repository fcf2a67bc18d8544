"""Sources: each collector source, its last runs, failures and their errors."""

from __future__ import annotations

import json
from datetime import datetime, timedelta

import altair as alt
import pandas as pd
import streamlit as st

from app import queries
from app.charts import AXIS_FORMAT, TIME_FORMAT, wall_time
from app.data import guarded, local, settings, tz_label
from app.ui import human_age, show_table, time_columns
from seamwatch.durations import format_duration
from seamwatch.timeutil import utcnow

WINDOWS = {"6h": timedelta(hours=6), "24h": timedelta(days=1), "7d": timedelta(days=7)}


def _describe(value: object) -> str:
    """A run's per-integration failures (JSON list) as "id: error; ..."."""
    try:
        items = json.loads(value) if isinstance(value, str) else (value or [])
    except ValueError:
        return str(value)
    parts = []
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            who = item.get("integration") or item.get("integration_id") or "(whole source)"
            if item.get("metric"):
                who = f"{who} {item['metric']}"
            parts.append(f"{who}: {item.get('error', item)}")
        else:
            parts.append(str(item))
    return "; ".join(parts)


def _ago(now: datetime, ts: object) -> str:
    if ts is None or pd.isna(ts):
        return "—"
    return f"{human_age((now - pd.Timestamp(ts)).total_seconds())} ago"


st.title("Sources")
configured = settings().sources
now = utcnow()

if not configured:
    st.info(
        "**No sources configured.** Add a `[[sources]]` block to config.toml (kinds: `demo`, "
        "Prometheus, HTTP JSON, /metrics, RabbitMQ, probes, as installed), run "
        "`seamwatch check`, then `seamwatch run` to collect on a schedule.",
        icon=":material/info:",
    )

failing = guarded(queries.failing_channels)
if not failing.empty:  # a dead chat channel is news wherever the page stops below
    st.error(
        "These channels answered with a permanent failure (a deleted or disabled webhook): "
        "their messages are undelivered until they work again. "
        + "; ".join(f"**{r.channel}** ({r.last_error})" for r in failing.itertuples()),
        icon=":material/notifications_off:",
    )

last = guarded(queries.sources)
known = {s.name: s for s in configured}
rows = []
for name in sorted(set(known) | set(last["source"])):
    source = known.get(name)
    run = last[last["source"] == name]
    r = run.iloc[0] if not run.empty else None
    rows.append(
        {
            "source": name,
            "kind": source.kind if source else (r["kind"] if r is not None else "—"),
            "every": format_duration(source.interval) if source else "—",
            "configured": "yes" if source else "no (removed from config.toml)",
            "enabled": bool(source.enabled) if source else False,
            "last run": "—" if r is None else _ago(now, r["last_run"]),
            "status": "—" if r is None else r["last_status"],
            "samples": None if r is None else r["last_samples"],
            "took s": None if r is None else r["last_duration_s"],
            "runs 24h": None if r is None else r["runs_24h"],
            "failed 24h": None if r is None else r["failures_24h"],
            "failing streak": None if r is None else r["failing_streak"],
            "last error at": "—" if r is None else _ago(now, r["last_error_at"]),
            "last error": None if r is None else r["last_error"],
        }
    )
if rows:
    show_table(
        pd.DataFrame(rows),
        hide_index=True,
        column_config={
            "took s": st.column_config.NumberColumn("took (s)", format="%.2f"),
            "last error": st.column_config.TextColumn(width="large"),
        },
    )
if last.empty and configured:
    st.info(
        "No collection runs recorded yet: start `seamwatch run` (or `seamwatch collect --once`).",
        icon=":material/info:",
    )
    st.stop()
if last.empty:
    st.stop()

window = (
    st.segmented_control(
        "Runs in the last",
        list(WINDOWS),
        default="24h",
        key="window",
        bind="query-params",
        required=True,
    )
    or "24h"
)
recent = guarded(queries.runs, now - WINDOWS[window])
if recent.empty:
    st.caption("No runs in this window.")
    st.stop()

chart_data = recent.assign(t=wall_time(recent["started_at"]))
st.altair_chart(
    alt.Chart(chart_data)
    .mark_circle(size=36)
    .encode(
        x=alt.X(
            "t:T",
            title=f"run started ({tz_label()})",
            axis=alt.Axis(format=AXIS_FORMAT, labelOverlap=True),
        ),
        y=alt.Y("samples:Q", title="samples per run"),
        color=alt.Color(
            "status:N",
            scale=alt.Scale(
                domain=["ok", "partial", "failed"], range=["#2ca02c", "#ff9f1a", "#d62728"]
            ),
        ),
        row=alt.Row("source:N", title=None),
        tooltip=[
            alt.Tooltip("t:T", title=f"started ({tz_label()})", format=TIME_FORMAT),
            "source",
            "status",
            "samples",
            alt.Tooltip("duration_s:Q", title="took (s)", format=".2f"),
            "error",
        ],
    )
    .properties(height=110),
    width="stretch",
)

bad = recent[recent["status"] != "ok"]
st.subheader(f"Failures ({len(bad)})")
if bad.empty:
    st.caption("Every run in this window succeeded.")
else:
    table = local(bad, "started_at")
    table["failed integrations"] = table["failures"].map(_describe)
    show_table(
        table[["started_at", "source", "status", "error", "failed integrations", "samples"]],
        hide_index=True,
        column_config={
            **time_columns("started_at"),
            "error": st.column_config.TextColumn(width="large"),
        },
    )
