"""Governance on the dashboard: the scorecard (read through the spine's read model) and the
contract history of an integration; used by the Scorecard page and the Integration page."""

from __future__ import annotations

import duckdb
import pandas as pd
import streamlit as st

from app.data import guarded, read, reader, settings
from app.ui import show_table, time_columns
from seamwatch.scorecard import load_scorecard_settings, read_checks

SCORECARD_PAGE = "views/scorecard.py"
STATUS_ICON = {"yes": "✅ yes", "no": "❌ no", "n.a.": "➖ n.a."}

CONTRACT_VERSIONS = """
SELECT seq AS version, api_version, format, spec_version, title, first_seen, last_seen, spec_url
FROM contract_versions WHERE integration_id = ? ORDER BY seq DESC
"""
CONTRACT_STATUS = """
SELECT status, error, checked_at, spec_url, declared_version, versions
FROM v_contracts WHERE integration_id = ?
"""
LAST_DIFF = """
SELECT from_seq, to_seq, from_version, to_version, detected_at,
       CASE WHEN breaking THEN 'breaking' ELSE 'compatible' END AS change, location, description
FROM v_contract_changes
WHERE integration_id = ?
  AND to_seq = (SELECT max(to_seq) FROM contract_changes WHERE integration_id = ?)
ORDER BY breaking DESC, location
"""


@reader
def _checks(con: duckdb.DuckDBPyConnection, config_key: str) -> pd.DataFrame:
    del config_key  # part of the cache key only: new weights, new scores
    return read_checks(con, load_scorecard_settings(settings()))


def checks() -> pd.DataFrame:
    """Every check of every integration as of now, with its weight (config's [scorecard])."""
    return read(_checks, repr(settings().scorecard))


@reader
def _integration_checks(
    con: duckdb.DuckDBPyConnection, config_key: str, integration_id: str
) -> pd.DataFrame:
    del config_key  # part of the cache key only
    return read_checks(con, load_scorecard_settings(settings()), integration=integration_id)


def integration_checks(integration_id: str) -> pd.DataFrame:
    """The checks of one integration as of now, with their weights."""
    return read(_integration_checks, repr(settings().scorecard), integration_id)


@reader
def _contract(con: duckdb.DuckDBPyConnection, integration_id: str) -> dict[str, pd.DataFrame]:
    return {
        "status": con.execute(CONTRACT_STATUS, [integration_id]).df(),
        "versions": con.execute(CONTRACT_VERSIONS, [integration_id]).df(),
        "diff": con.execute(LAST_DIFF, [integration_id, integration_id]).df(),
    }


def status_text(frame: pd.DataFrame) -> pd.DataFrame:
    """yes / no / n.a. with a symbol a person scans quickly."""
    return frame.assign(status=frame["status"].map(lambda s: STATUS_ICON.get(s, s)))


def integration_panel(integration_id: str) -> None:
    """The Integration page's governance part: its scorecard checks and its contract history."""
    st.subheader("Scorecard")
    mine = guarded(integration_checks, integration_id)
    if mine.empty:
        st.caption("Not in the inventory, so not scored.")
    else:
        show_table(
            status_text(mine)[["question", "check_name", "status", "reason", "weight"]],
            hide_index=True,
            column_config={"reason": st.column_config.TextColumn(width="large")},
        )
    st.page_link(SCORECARD_PAGE, label="Fleet scorecard", icon=":material/checklist:")
    contract = guarded(read, _contract, integration_id)
    st.subheader("Contract")
    status = contract["status"]
    if status.empty:
        st.caption("No spec declared (`contract.spec` in the inventory), so nothing to check.")
        return
    row = status.iloc[0]
    if pd.isna(row["status"]):
        st.caption(f"Spec {row['spec_url']} not checked yet: `seamwatch contracts check`.")
    elif row["status"] == "ok":
        st.markdown(f"Spec {row['spec_url']}: **valid**, {int(row['versions'])} version(s) kept.")
    else:
        st.error(f"Spec {row['spec_url']}: **{row['status']}**: {row['error']}")
    versions = contract["versions"]
    if not versions.empty:
        show_table(versions, hide_index=True, column_config=time_columns("first_seen", "last_seen"))
    diff = contract["diff"]
    if not diff.empty:
        first = diff.iloc[0]
        st.markdown(
            f"**Last change**: version {int(first['from_seq'])} ({first['from_version']}) → "
            f"{int(first['to_seq'])} ({first['to_version']})"
        )
        show_table(
            diff[["change", "location", "description"]],
            hide_index=True,
            column_config={"description": st.column_config.TextColumn(width="large")},
        )
