"""The app's read side: settings, short-lived read-only queries, cached briefly."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from seamwatch.config import Settings, load_settings
from seamwatch.errors import SeamwatchError
from seamwatch.store import Store


@st.cache_resource(ttl=60)
def settings() -> Settings:
    """The config the app was started with ($SEAMWATCH_CONFIG or ./config.toml)."""
    return load_settings()


def store() -> Store:
    """The store, opened read-only per query; fails fast instead of waiting on a writer."""
    s = Store.from_settings(settings())
    s.lock_timeout = 5.0
    return s


@st.cache_data(ttl=15, show_spinner=False)
def query(sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    """One read-only query, cached for 15 seconds."""
    return store().query(sql, list(params))


def guarded(fn: Any, *args: Any, **kwargs: Any) -> Any:
    """Run a data call; show a clear message instead of a traceback when the store is unusable."""
    try:
        return fn(*args, **kwargs)
    except SeamwatchError as exc:
        st.error(str(exc))
        st.stop()
