"""Reports: the weekly reviews written so far, readable here and downloadable."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import streamlit as st

from app import queries
from app.data import guarded, local, settings
from app.ui import show_table, time_columns

st.title("Weekly reports")
written = guarded(queries.reports)
if written.empty:
    st.info(
        "**No reports yet.** The weekly review is written on its schedule by `seamwatch run` "
        "(see `[reports]` in config.toml), and on demand by the report command. Each one "
        "appears here to read and download.",
        icon=":material/info:",
    )
    st.stop()


def _path(value: object) -> Path | None:
    if value is None or pd.isna(value) or not str(value):
        return None
    return settings().resolve(str(value))


def _label(row: pd.Series) -> str:
    team = row["team"] if isinstance(row["team"], str) else "whole fleet"
    return f"{row['week']} · {team}"


table = local(written, "written_at", "posted_at")
teams = ["whole fleet", *sorted(t for t in written["team"].dropna().unique())]
team = st.selectbox("Team", ["all", *teams], key="team", bind="query-params")
if team != "all":
    table = table[table["team"].fillna("whole fleet") == team]
show_table(
    table[["week", "team", "written_at", "posted_at", "summary"]].fillna({"team": "whole fleet"}),
    hide_index=True,
    column_config={
        **time_columns("written_at", "posted_at"),
        "summary": st.column_config.TextColumn(width="large"),
    },
)
if table.empty:
    st.stop()

labels = {row["report_id"]: _label(row) for _, row in table.iterrows()}
chosen = st.selectbox("Read", list(labels), format_func=labels.get, key="report")
row = table[table["report_id"] == chosen].iloc[0]
md_path, html_path = _path(row["md_path"]), _path(row["html_path"])

cols = st.columns(3)
md_text = md_path.read_text(encoding="utf-8") if md_path and md_path.is_file() else None
html_text = html_path.read_text(encoding="utf-8") if html_path and html_path.is_file() else None
if md_text is not None:
    cols[0].download_button(
        "Markdown",
        md_text,
        file_name=md_path.name,
        mime="text/markdown",
        icon=":material/download:",
        on_click="ignore",
    )
if html_text is not None:
    cols[1].download_button(
        "HTML",
        html_text,
        file_name=html_path.name,
        mime="text/html",
        icon=":material/download:",
        on_click="ignore",
    )

if md_text is None and html_text is None:
    missing = ", ".join(str(p) for p in (md_path, html_path) if p) or "no file recorded"
    st.warning(
        f"The report's files are gone ({missing}); only its summary is left.",
        icon=":material/warning:",
    )
    if isinstance(row["summary"], str):
        st.markdown(row["summary"])
elif html_text is not None:
    tabs = st.tabs(["As sent (HTML)", "Markdown"] if md_text else ["As sent (HTML)"])
    with tabs[0]:
        st.components.v1.html(html_text, height=900, scrolling=True)
    if md_text:
        with tabs[1]:
            st.markdown(md_text)
else:
    st.markdown(md_text)
