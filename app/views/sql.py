"""SQL: a read-only console over the documented views, with the schema beside it, examples,
row and time limits, results as a table and a chart, and CSV download. Writes are refused."""

from __future__ import annotations

import altair as alt
import pandas as pd
import streamlit as st

from app import queries
from app.data import settings, store
from app.ui import csv_download
from seamwatch.errors import QueryRefused, SeamwatchError
from seamwatch.store.readonly import run_read_only

EXAMPLES = {
    "Health of the fleet": "SELECT health, count(*) AS integrations\nFROM v_health\nGROUP BY health\nORDER BY integrations DESC;",
    "Open findings, worst first": (
        "SELECT integration_id, owner, severity, summary, first_seen\nFROM v_findings\n"
        "WHERE status = 'open'\nORDER BY severity_rank(severity) DESC, first_seen;"
    ),
    "Daily p95 of one integration": (
        "SELECT date_trunc('day', ts) AS day, quantile_cont(value, 0.5) AS median_p95_ms\n"
        "FROM v_samples\nWHERE integration_id = 'crm-orders-to-erp' AND metric = 'latency_p95_ms'\n"
        "  AND ts > now() - INTERVAL 28 DAY\nGROUP BY ALL ORDER BY day;"
    ),
    "Not reporting for 10 minutes": (
        "SELECT integration_id, owner, metric, age_seconds\nFROM v_latest\n"
        "WHERE age_seconds > 600\nORDER BY age_seconds DESC;"
    ),
    "Reviews overdue, no owner": (
        "SELECT integration_id, name, owner, review_due\nFROM v_integrations\n"
        "WHERE review_due < current_date OR owner IS NULL\nORDER BY review_due;"
    ),
    "Collection runs that failed today": (
        "SELECT source, count(*) FILTER (WHERE status <> 'ok') AS bad_runs,\n"
        "       max(started_at) AS last_run\nFROM v_runs\n"
        "WHERE started_at > now() - INTERVAL 1 DAY\nGROUP BY source;"
    ),
    "Notifications per channel this week": (
        "SELECT channel, status, count(*) AS messages\nFROM v_notifications\n"
        "WHERE created_at > now() - INTERVAL 7 DAY\nGROUP BY ALL ORDER BY messages DESC;"
    ),
}

app_settings = settings().app
st.title("SQL")
st.caption(
    "Read-only: SELECT, WITH … SELECT and EXPLAIN over the documented views; anything that "
    "writes is refused. The same console as `seamwatch sql`."
)

main, schema = st.columns([3, 1])
with schema:
    st.markdown("**Views**")
    try:
        columns = queries.view_columns()
    except Exception:  # the schema panel is a help, never a reason for the console to fail
        columns = pd.DataFrame(columns=["view", "column", "type"])
    if columns.empty:
        st.caption("No store yet: `seamwatch demo` creates one.")
    for view, cols in columns.groupby("view", sort=True):
        with st.expander(str(view)):
            st.markdown(
                "\n".join(
                    f"- `{c}` {t.lower()}"
                    for c, t in zip(cols["column"], cols["type"], strict=True)
                )
            )

with main:
    example = st.selectbox("Example", ["—", *EXAMPLES], key="example")
    if example != "—" and st.session_state.get("_last_example") != example:
        st.session_state["sql"] = EXAMPLES[example]
        st.session_state["_last_example"] = example
    st.session_state.setdefault("sql", EXAMPLES["Health of the fleet"])
    sql = st.text_area("Query", key="sql", height=180)
    limits = st.columns([1, 1, 2], vertical_alignment="bottom")
    row_limit = limits[0].number_input(
        "Row limit",
        min_value=1,
        max_value=app_settings.query_row_limit,
        value=min(1000, app_settings.query_row_limit),
        step=100,
    )
    max_seconds = max(1, int(app_settings.query_timeout.total_seconds()))
    time_limit = limits[1].number_input(
        "Time limit (s)", min_value=1, max_value=max_seconds, value=max_seconds
    )
    run = limits[2].button("Run", type="primary", icon=":material/play_arrow:")

    if run:
        try:
            st.session_state["result"] = run_read_only(
                store().path,
                sql,
                row_limit=int(row_limit),
                timeout=float(time_limit),
                limits=store().limits,
            )
            st.session_state["error"] = None
        except QueryRefused as exc:
            st.session_state["result"], st.session_state["error"] = None, f"Refused — {exc}."
        except SeamwatchError as exc:
            st.session_state["result"], st.session_state["error"] = None, str(exc)

    error = st.session_state.get("error")
    result = st.session_state.get("result")
    if error:
        st.error(error, icon=":material/block:")
    elif result is not None:
        frame = result.frame
        st.caption(
            f"{len(frame):,} rows"
            + (f" — cut at the row limit of {int(row_limit):,}" if result.truncated else "")
        )
        table_tab, chart_tab = st.tabs(["Table", "Chart"])
        with table_tab:
            st.dataframe(frame, hide_index=True)
            csv_download(frame, "seamwatch-query.csv")
        with chart_tab:
            numeric = [c for c in frame.columns if pd.api.types.is_numeric_dtype(frame[c])]
            if frame.empty or not numeric:
                st.caption("A chart needs at least one numeric column.")
            else:
                others = list(frame.columns)
                temporal = [c for c in others if pd.api.types.is_datetime64_any_dtype(frame[c])]
                pick = st.columns(3)
                x = pick[0].selectbox(
                    "x", others, index=others.index(temporal[0]) if temporal else 0
                )
                y = pick[1].selectbox("y", numeric, index=len(numeric) - 1)
                kind = pick[2].segmented_control(
                    "as",
                    ["line", "bar", "point"],
                    default="line" if temporal else "bar",
                    required=True,
                )
                x_type = "T" if x in temporal else ("Q" if x in numeric else "N")
                mark = {"line": "mark_line", "bar": "mark_bar", "point": "mark_point"}[
                    kind or "bar"
                ]
                chart = getattr(alt.Chart(frame.head(5000)), mark)().encode(
                    x=alt.X(f"{x}:{x_type}"), y=alt.Y(f"{y}:Q"), tooltip=list(frame.columns)[:8]
                )
                st.altair_chart(chart, width="stretch")
