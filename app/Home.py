"""Seamwatch dashboard entry point: `streamlit run app/Home.py` (or `seamwatch app`)."""

from __future__ import annotations

import streamlit as st

from app.auth import require_login
from app.data import guarded, settings

st.set_page_config(page_title="Seamwatch", page_icon=":material/hub:", layout="wide")

require_login(guarded(settings).app)

pages = {
    "Fleet": [
        st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
        st.Page("views/findings.py", title="Findings", icon=":material/report:"),
        st.Page("views/integration.py", title="Integration", icon=":material/timeline:"),
        st.Page("views/inventory.py", title="Inventory", icon=":material/inventory_2:"),
        st.Page("views/owners.py", title="Owners", icon=":material/groups:"),
        st.Page("views/scorecard.py", title="Scorecard", icon=":material/checklist:"),
    ],
    "Operations": [
        st.Page("views/reports.py", title="Reports", icon=":material/summarize:"),
        st.Page("views/sources.py", title="Sources", icon=":material/sensors:"),
        st.Page("views/sql.py", title="SQL", icon=":material/terminal:"),
    ],
}
st.navigation(pages).run()
