"""Seamwatch dashboard entry point: `streamlit run app/Home.py` (or `seamwatch app`)."""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from app.auth import require_login
from app.data import guarded, settings

# A product, not a dev server: no Deploy button or developer menu whoever starts the app
# (`seamwatch app` passes the same flag), and the icon is served from here, not fetched.
st.set_option("client.toolbarMode", "viewer")
ICON = Path(__file__).parent / "assets" / "favicon.png"
st.set_page_config(page_title="Seamwatch", page_icon=str(ICON), layout="wide")

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
        st.Page("views/alerts.py", title="Alerts", icon=":material/notifications:"),
        st.Page("views/reports.py", title="Reports", icon=":material/summarize:"),
        st.Page("views/sources.py", title="Sources", icon=":material/sensors:"),
        st.Page("views/sql.py", title="SQL", icon=":material/terminal:"),
    ],
}
st.navigation(pages).run()
