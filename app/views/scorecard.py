"""Scorecard: the integration checklist answered for the fleet, per team and per integration.

Every table sorts by clicking its headers; the team and integration chosen are in the URL
(`?team=payments`, `?integration=payments-webhook`), so a view can be shared.
"""

from __future__ import annotations

import streamlit as st

from app.data import guarded
from app.governance import checks, status_text
from app.ui import csv_download, integration_url, show_table
from seamwatch.scorecard import check_totals, fleet_score, integration_scores, team_scores

st.title("Scorecard")
st.caption(
    "Each integration answers the checklist: owner with a contact, monitored (samples, SLOs), "
    "contract (declared, valid), failure handling (declared, DLQ watched), classified, "
    "reviewed, deprecation plan. A score is the weighted share of counted checks answered yes "
    "(weights per tier in config.toml's `[scorecard]`; n.a. never counts)."
)
frame = guarded(checks)
if frame.empty:
    st.info("No inventoried integrations yet, so nothing to score.", icon=":material/info:")
    st.stop()

score = fleet_score(frame)
teams = team_scores(frame)
per = integration_scores(frame)
cols = st.columns(3)
cols[0].metric("Fleet score", "n.a." if score is None else f"{score:.1f}%")
cols[1].metric("Integrations passing every check", f"{int((per['no'] == 0).sum())} of {len(per)}")
cols[2].metric("Checks answered no", int(per["no"].sum()))

st.subheader("Per check")
show_table(check_totals(frame), hide_index=True)

st.subheader("Per team")
show_table(
    teams,
    hide_index=True,
    column_config={
        "score": st.column_config.ProgressColumn(
            "score", min_value=0, max_value=100, format="%.1f%%"
        )
    },
)

st.subheader("Per integration")
options = ["(all teams)", *teams["team"].tolist()]
team = st.selectbox("Team", options, key="team", bind="query-params")
shown = per if team == "(all teams)" else per[per["owner"].fillna("(no owner)") == team]
shown = shown.assign(open=shown["integration_id"].map(integration_url))
show_table(
    shown[
        [
            "open",
            "name",
            "owner",
            "tier",
            "pattern",
            "lifecycle",
            "score",
            "yes",
            "no",
            "na",
            "failing",
        ]
    ],
    hide_index=True,
    column_config={
        "open": st.column_config.LinkColumn("integration", display_text=r"integration=(.*)$"),
        "score": st.column_config.ProgressColumn(
            "score", min_value=0, max_value=100, format="%.1f%%"
        ),
        "tier": st.column_config.NumberColumn("tier", format="%d"),
    },
)
csv_download(frame, "seamwatch-scorecard.csv", "Download every check (CSV)")

st.subheader("One integration's checks")
ids = shown["integration_id"].tolist()
choice = st.selectbox(
    "Integration", ids, index=None, placeholder="choose", key="integration", bind="query-params"
)
if choice:
    mine = status_text(frame[frame["integration_id"] == choice])
    show_table(
        mine[["question", "check_name", "status", "reason", "weight"]],
        hide_index=True,
        column_config={"reason": st.column_config.TextColumn(width="large")},
    )
    st.page_link(
        "views/integration.py",
        label=f"Open {choice}",
        query_params={"integration": choice},
        icon=":material/timeline:",
    )
