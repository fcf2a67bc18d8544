"""The Streamlit dashboard (read side): one file per page under views/, shared queries here."""
