"""Inventory: every integration with its metadata, searchable and filterable, the data flows
between systems, and a CSV download."""

from __future__ import annotations

import streamlit as st

from app import queries
from app.charts import flow_graph
from app.data import guarded
from app.ui import (
    INTEGRATION_PAGE,
    apply_filter,
    csv_download,
    health_column,
    integration_url,
    multiselect_filter,
    search,
    show_table,
    tag,
)

st.title("Inventory")
fleet = guarded(queries.fleet)
if fleet.empty:
    st.info(
        "**The inventory is empty.** Integrations are described in TOML files kept by their "
        "owning teams and matched by `[inventory] paths` in config.toml; see the README's "
        "*Adding an integration* for a complete example, then `seamwatch check`.",
        icon=":material/info:",
    )
    st.stop()

text = st.text_input(
    "Search",
    key="q",
    bind="query-params",
    placeholder="id, name, description, systems, tags, contacts …",
)
with st.container(horizontal=True):
    owners = multiselect_filter("Owner", fleet, "owner", "owner")
    tiers = multiselect_filter("Tier", fleet, "tier", "tier")
    patterns = multiselect_filter("Pattern", fleet, "pattern", "pattern")
    lifecycles = multiselect_filter("Lifecycle", fleet, "lifecycle", "lifecycle")

shown = fleet
for column, chosen in (
    ("owner", owners),
    ("tier", tiers),
    ("pattern", patterns),
    ("lifecycle", lifecycles),
):
    shown = apply_filter(shown, column, chosen)
shown = search(
    shown,
    text,
    [
        "integration_id",
        "name",
        "description",
        "source_system",
        "target_system",
        "tags",
        "contacts",
        "owner",
        "pattern",
    ],
)
shown = shown.sort_values("integration_id")

not_inventoried = int((~shown["inventoried"].astype(bool)).sum())
st.caption(
    f"{len(shown)} of {len(fleet)} integrations"
    + (f" · {not_inventoried} seen in data but in no inventory file" if not_inventoried else "")
    + " · select a row to open it"
)
if shown.empty:
    st.info("Nothing matches. Clear the search or a filter.", icon=":material/filter_alt_off:")
    st.stop()

table = shown.copy()
table["open"] = table["integration_id"].map(integration_url)
table["health"] = tag(table["health"])
columns = [
    "open",
    "name",
    "health",
    "owner",
    "source_system",
    "target_system",
    "pattern",
    "tier",
    "lifecycle",
    "sunset",
    "last_review",
    "review_due",
    "contacts",
    "chat_route",
    "runbook",
    "tags",
    "slo_latency_p95_ms",
    "slo_error_rate",
    "description",
]
picked = show_table(
    table[columns],
    hide_index=True,
    on_select="rerun",
    selection_mode="single-row",
    key="inventory_table",
    column_config={
        "open": st.column_config.LinkColumn("integration", display_text=r"integration=(.*)$"),
        "health": health_column(),
        "source_system": "source",
        "target_system": "target",
        "tier": st.column_config.NumberColumn("tier", format="%d"),
        "runbook": st.column_config.LinkColumn("runbook"),
        "slo_latency_p95_ms": st.column_config.NumberColumn("SLO p95 ms", format="%d"),
        "slo_error_rate": st.column_config.NumberColumn("SLO errors", format="percent"),
        "review_due": st.column_config.DateColumn("review due"),
        "last_review": st.column_config.DateColumn("last review"),
        "sunset": st.column_config.DateColumn("sunset"),
    },
)
if picked is not None and picked.selection.rows:
    chosen = shown.iloc[picked.selection.rows[0]]["integration_id"]
    st.switch_page(INTEGRATION_PAGE, query_params={"integration": chosen})

export = shown.drop(columns=["health_rank"], errors="ignore")
csv_download(export, "seamwatch-inventory.csv", "Download the inventory (CSV)")

st.subheader("Data flows")
st.caption(
    "Systems and the integrations between them (source → target), coloured by health; "
    "dashed: planned or deprecated. Click an arrow's label to open it."
)
flows = shown.dropna(subset=["source_system", "target_system"])
if flows.empty:
    st.caption("None of these integrations names its source and target systems.")
else:
    st.graphviz_chart(flow_graph(flows), width="stretch")
