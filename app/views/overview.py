"""Fleet overview: every integration, its owner and tier, latest values and their age."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app.data import guarded, query
from seamwatch.metrics import METRIC_NAMES

st.title("Fleet overview")

latest_columns = ",\n".join(
    f"max(l.value) FILTER (WHERE l.metric = '{m}') AS {m}" for m in METRIC_NAMES
)
fleet = guarded(
    query,
    f"""
    SELECT i.integration_id, i.name, i.owner, i.tier, i.pattern, i.lifecycle, i.inventoried,
           {latest_columns},
           min(l.age_seconds) AS age_seconds
    FROM v_integrations i LEFT JOIN v_latest l USING (integration_id)
    GROUP BY ALL
    ORDER BY i.tier NULLS LAST, i.integration_id
    """,
)

if fleet.empty:
    st.info(
        "No integrations yet. Add inventory files (see config.toml `[inventory] paths`) and run "
        "`seamwatch demo` for demo data or `seamwatch run` to start collecting."
    )
    st.stop()

cols = st.columns(4)
cols[0].metric("Integrations", len(fleet))
cols[1].metric("Owners", fleet["owner"].nunique())
cols[2].metric("Without owner", int((fleet["owner"].isna() & fleet["inventoried"]).sum()))
cols[3].metric("Not inventoried", int((~fleet["inventoried"].astype(bool)).sum()))

fleet["latest"] = pd.to_timedelta(fleet["age_seconds"], unit="s").map(
    lambda d: "no data" if pd.isna(d) else f"{int(d.total_seconds() // 60)} min ago"
)
st.dataframe(
    fleet[["integration_id", "name", "owner", "tier", "pattern", "lifecycle", *METRIC_NAMES, "latest"]],
    hide_index=True,
    width="stretch",
    column_config={
        "error_rate": st.column_config.NumberColumn("error rate", format="percent"),
        "throughput": st.column_config.NumberColumn("throughput /s", format="%.1f"),
        "latency_p50_ms": st.column_config.NumberColumn("p50 ms", format="%.0f"),
        "latency_p95_ms": st.column_config.NumberColumn("p95 ms", format="%.0f"),
        "latency_p99_ms": st.column_config.NumberColumn("p99 ms", format="%.0f"),
        "dlq_depth": st.column_config.NumberColumn("DLQ", format="%.0f"),
    },
)
