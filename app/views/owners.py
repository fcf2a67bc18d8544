"""Owners: per team, its integrations and their health, reviews due or overdue, integrations
without an owner, and deprecated integrations past their sunset date."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from app import queries
from app.data import declared_at, guarded, timezone
from app.ui import (
    HEALTHS,
    as_date,
    csv_download,
    health_column,
    integration_url,
    show_table,
    tag,
    team_md,
)
from seamwatch.timeutil import utcnow

DUE_SOON = timedelta(days=30)

st.title("Owners")
fleet = guarded(queries.fleet)
if fleet.empty:
    st.info(
        "No integrations yet, so no owners: every inventory file names the owning team "
        '(`owner = "payments"`, often in its `[defaults]`).',
        icon=":material/info:",
    )
    st.stop()

today = utcnow().astimezone(timezone()).date()
fleet = fleet.copy()
fleet["due"] = fleet["review_due"].map(as_date)
fleet["sunset_day"] = fleet["sunset"].map(as_date)
fleet["review"] = [
    "—" if d is None else "overdue" if d < today else "due soon" if d - today <= DUE_SOON else "ok"
    for d in fleet["due"]
]
fleet["past_sunset"] = [
    s is not None and s < today and lc != "retired"
    for s, lc in zip(fleet["sunset_day"], fleet["lifecycle"], strict=True)
]
fleet["team"] = fleet["owner"].fillna("(no owner)")

summary = (
    fleet.groupby("team")
    .agg(
        integrations=("integration_id", "count"),
        **{h: ("health", lambda s, h=h: int((s == h).sum())) for h in HEALTHS},
        reviews_overdue=("review", lambda s: int((s == "overdue").sum())),
        reviews_due_soon=("review", lambda s: int((s == "due soon").sum())),
        past_sunset=("past_sunset", "sum"),
    )
    .reset_index()
)
show_table(
    summary.rename(columns=lambda c: c.replace("_", " ")),
    hide_index=True,
)
st.page_link("views/scorecard.py", label="Scorecard per team", icon=":material/checklist:")

teams = guarded(queries.teams)
st.subheader("Teams")
if teams.empty:
    st.caption("No owning team yet.")
else:
    undeclared = teams.loc[~teams["declared"], "team_id"].tolist()
    st.caption(
        "Declared with `[[team]]` in an inventory file (name, members, chat and on-call links)."
        + (
            f" Owners no `[[team]]` declares yet: {', '.join(f'`{t}`' for t in undeclared)}."
            if undeclared
            else ""
        )
    )
    for _, row in teams[teams["declared"]].iterrows():
        place = declared_at(row["origin"], row["origin_line"])[0]
        with st.container(border=True):
            st.markdown(
                team_md(row)
                + f"  \n:gray[{int(row['integrations'])} integrations · declared in `{place}`]"
            )


def _table(frame: pd.DataFrame, columns: list[str]) -> None:
    out = frame.copy()
    out["open"] = out["integration_id"].map(integration_url)
    out["health"] = tag(out["health"])
    show_table(
        out[["open", *columns]],
        hide_index=True,
        column_config={
            "open": st.column_config.LinkColumn("integration", display_text=r"integration=(.*)$"),
            "due": st.column_config.DateColumn("review due"),
            "sunset_day": st.column_config.DateColumn("sunset"),
            "tier": st.column_config.NumberColumn("tier", format="%d"),
            "health": health_column(),
        },
    )


no_owner = fleet[fleet["owner"].isna()]
st.subheader(f"Without an owner ({len(no_owner)})")
if no_owner.empty:
    st.caption("Every integration has an owning team.")
else:
    st.caption("Includes integrations seen in data but in no inventory file.")
    _table(no_owner, ["name", "health", "inventoried", "source_system", "target_system"])

overdue = fleet[fleet["review"].isin(["overdue", "due soon"])].sort_values("due")
st.subheader(f"Reviews overdue or due within {DUE_SOON.days} days ({len(overdue)})")
if overdue.empty:
    st.caption("No review is due in the next 30 days.")
else:
    _table(overdue, ["name", "team", "review", "due", "tier"])

sunset = fleet[fleet["past_sunset"]].sort_values("sunset_day")
st.subheader(f"Past their sunset date ({len(sunset)})")
if sunset.empty:
    st.caption("No integration is running past its sunset date.")
else:
    _table(sunset, ["name", "team", "lifecycle", "sunset_day", "health"])

st.subheader("A team's integrations")
team = st.selectbox("Team", sorted(fleet["team"].unique()), key="team", bind="query-params")
mine = fleet[fleet["team"] == team]
if team != "(no owner)":
    st.markdown(team_md(teams[teams["team_id"] == team], team))
_table(
    mine,
    ["name", "health", "reason", "tier", "pattern", "lifecycle", "review", "due", "sunset_day"],
)
csv_download(
    mine.drop(columns=["health_rank", "due", "sunset_day", "team"], errors="ignore"),
    f"seamwatch-{team}.csv",
)
