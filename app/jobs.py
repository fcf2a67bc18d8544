"""Job runs on the Integration page: the last runs of a batch or file job, from v_job_runs
(its heartbeats, or its throughput when it never pings)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.data import guarded, local, query
from app.ui import human_age, time_columns

RUNS_SHOWN = 20
EXCERPT = 160  # characters of the log tail shown per run

# v_job_runs for one integration. Runs derived from throughput are computed for it alone, and
# only for a batch or file integration, as the view does (`{ids}`: its id, or no id at all, which
# spares the scan of every throughput sample), instead of for the whole fleet and then filtered.
RUNS = """
SELECT started_at, finished_at, duration_s, status, exit_status, body, feed
FROM job_runs_between(TIMESTAMPTZ '1970-01-01 00:00:00+00', now(), {ids})
WHERE integration_id = ?
ORDER BY coalesce(started_at, finished_at) DESC
LIMIT ?
"""
JOB_PATTERNS = ("batch", "file")

STATUS_ICON = {
    "success": "✅ success",
    "fail": "❌ fail",
    "unfinished": "❌ no end reported",
    "running": "⏳ running",
    "ended": "✅ ended",
}


def excerpt(body: object) -> str:
    """A log tail on one line, its end kept: shown as plain text in a table cell, never as
    markdown or HTML (a job's output is not ours to render)."""
    if not isinstance(body, str) or not body.strip():
        return ""
    text = " | ".join(line.strip() for line in body.strip().splitlines() if line.strip())
    return text if len(text) <= EXCERPT else "…" + text[-EXCERPT + 1 :]


def runs_query(integration_id: str, pattern: object) -> tuple[str, tuple[object, ...]]:
    """The SQL and parameters of one integration's last runs (its inventory `pattern`)."""
    pulled = pattern in JOB_PATTERNS
    sql = RUNS.format(ids="[CAST(? AS VARCHAR)]" if pulled else "[]::VARCHAR[]")
    return sql, (integration_id,) * (2 if pulled else 1) + (RUNS_SHOWN,)


def runs_panel(integration_id: str, pattern: object) -> None:
    """The last runs (start, end, duration, status, log excerpt); silent for a link that is not
    a job and never reported a run."""
    runs = guarded(query, *runs_query(integration_id, pattern))
    if runs.empty and pattern not in ("batch", "file"):
        return
    st.subheader("Job runs")
    if runs.empty:
        st.caption(
            "No runs seen: wrap the job in `seamwatch ping "
            f"{integration_id} -- ./job.sh`, or collect its throughput (a run is throughput "
            "above zero)."
        )
        return
    table = local(runs, "started_at", "finished_at")
    table["duration"] = table["duration_s"].map(human_age)
    table["status"] = [
        STATUS_ICON.get(s, s) + (f" (exit {int(e)})" if not pd.isna(e) and e != 0 else "")
        for s, e in zip(table["status"], table["exit_status"], strict=True)
    ]
    table["log"] = table["body"].map(excerpt)
    st.dataframe(
        table[["started_at", "finished_at", "duration", "status", "log", "feed"]],
        hide_index=True,
        column_config={
            **time_columns("started_at", "finished_at"),
            "log": st.column_config.TextColumn("log (end)", width="large"),
        },
    )
    st.caption(f"The last {RUNS_SHOWN} runs at most; every run is in `v_job_runs`.")
