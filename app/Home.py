"""Seamwatch dashboard entry point: `streamlit run app/Home.py`."""

from __future__ import annotations

import streamlit as st

st.set_page_config(page_title="Seamwatch", page_icon=":material/hub:", layout="wide")

pages = [
    st.Page("views/overview.py", title="Overview", icon=":material/dashboard:", default=True),
]
st.navigation(pages).run()
