"""The app's read side: settings, short-lived read-only queries cached briefly, clear errors.

Every query opens the store read-only for one statement and closes it, so the dashboard never
keeps the collector from writing. Results are cached for a few seconds, keyed by the store's
path as well as the SQL, so two configs in one process never share rows.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import duckdb
import pandas as pd
import streamlit as st

from seamwatch.config import Settings, find_config, load_settings
from seamwatch.errors import SeamwatchError, StoreLocked, StoreMissing
from seamwatch.store import Store
from seamwatch.timeutil import zone_named

T = TypeVar("T")

QUERY_TTL = 15
"""Seconds a query result is reused; short, so a page is never more than a cycle behind."""

READ_LOCK_TIMEOUT = 5.0
"""Seconds a page waits for a writer's lock before saying the store is busy."""


@st.cache_resource(ttl=60, show_spinner=False)
def _settings(config: str) -> Settings:
    return load_settings(config)


def settings() -> Settings:
    """The config the app was started with ($SEAMWATCH_CONFIG or ./config.toml)."""
    return _settings(str(find_config().resolve()))


def store() -> Store:
    """The store, opened read-only per query; fails fast instead of waiting on a writer."""
    s = Store.from_settings(settings())
    s.lock_timeout = READ_LOCK_TIMEOUT
    return s


@st.cache_data(ttl=QUERY_TTL, show_spinner=False, max_entries=512)
def _query(path: str, sql: str, params: tuple[Any, ...]) -> pd.DataFrame:
    s = store()
    if str(s.path) != path:  # the config changed under the cache key; read the new one
        s = Store(Path(path), lock_timeout=READ_LOCK_TIMEOUT)
    return s.query(sql, list(params))


def query(sql: str, params: tuple[Any, ...] = ()) -> pd.DataFrame:
    """One read-only query, cached for QUERY_TTL seconds."""
    return _query(str(store().path), sql, tuple(params))


_READERS: dict[str, Callable[..., Any]] = {}


def reader(fn: Callable[..., T]) -> Callable[..., T]:
    """Register a function `fn(con, *args)` that reads several things in one connection."""
    _READERS[f"{fn.__module__}.{fn.__qualname__}"] = fn
    return fn


@st.cache_data(ttl=QUERY_TTL, show_spinner=False, max_entries=256)
def _read(path: str, name: str, args: tuple[Any, ...]) -> Any:
    s = store()
    if str(s.path) != path:
        s = Store(Path(path), lock_timeout=READ_LOCK_TIMEOUT)
    with s.read() as con:
        return _READERS[name](con, *args)


def read(fn: Callable[..., T], *args: Any) -> T:
    """Run a @reader function in one short read-only connection, cached for QUERY_TTL seconds.

    One connection for a page's related queries: each new connection loads the metadata of
    the tables it touches again, which on a large store costs more than the queries.
    """
    return _read(str(store().path), f"{fn.__module__}.{fn.__qualname__}", tuple(args))


def guarded(fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """Run a data call; on failure show a clear message (never a traceback) and stop the page."""
    try:
        return fn(*args, **kwargs)
    except StoreMissing as exc:
        st.info(
            f"**No data yet.** {exc}.\n\n"
            "To try Seamwatch: `seamwatch demo` seeds weeks of a simulated fleet. "
            "To watch your own: list your integrations in inventory files "
            "(`[inventory] paths` in config.toml), add a `[[sources]]` block and start "
            "`seamwatch run`.",
            icon=":material/info:",
        )
    except StoreLocked as exc:
        st.warning(
            f"**The store is busy.** {exc}. A collector or maintenance job is writing; "
            "reload the page in a moment.",
            icon=":material/hourglass:",
        )
    except SeamwatchError as exc:
        st.error(str(exc), icon=":material/error:")
    except duckdb.CatalogException as exc:
        st.error(
            "The store's schema is older than this dashboard "
            f"({_first_line(exc)}). Run `seamwatch check` and then `seamwatch run` "
            "(or `seamwatch collect --once`) once to migrate it.",
            icon=":material/error:",
        )
    except duckdb.Error as exc:
        st.error(f"Could not read the store: {_first_line(exc)}", icon=":material/error:")
    st.stop()
    raise AssertionError("unreachable")  # st.stop() raises


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def timezone() -> ZoneInfo:
    """The configured display time zone ([app] timezone), UTC if it is not a known zone."""
    return zone_named(settings().app.timezone)


def local(frame: pd.DataFrame, *columns: str) -> pd.DataFrame:
    """A copy with the given UTC timestamp columns shown in the display time zone."""
    out = frame.copy()
    tz = timezone()
    for column in columns:
        if column in out.columns and not out.empty:
            values = pd.to_datetime(out[column], utc=True)
            out[column] = values.dt.tz_convert(tz)
    return out


def local_text(ts: datetime | pd.Timestamp | None, fmt: str = "%a %d %b %H:%M") -> str:
    """One timestamp as local wall time text ("Wed 25 Nov 09:13"), or "—" when missing."""
    if ts is None or pd.isna(ts):
        return "—"
    stamp = pd.Timestamp(ts)
    if stamp.tzinfo is None:
        stamp = stamp.tz_localize("UTC")
    return stamp.tz_convert(timezone()).strftime(fmt)


def tz_label() -> str:
    """The display time zone's name, for captions."""
    return str(timezone())


def declared_at(origin: object, line: object) -> tuple[str, str | None]:
    """Where an integration (or team) is declared, as "inventory/sales.toml:16" relative to the
    config's folder, and its "edit in your repository" link when `[app] repo_url` is set."""
    if not isinstance(origin, str) or not origin:
        return "—", None
    s = settings()
    number = None if line is None or pd.isna(line) else int(line)  # type: ignore[arg-type]
    try:
        shown = Path(origin).resolve().relative_to(s.base_dir.resolve()).as_posix()
    except ValueError:
        shown = origin
    place = f"{shown}:{number}" if number else shown
    return place, s.app.edit_url(origin, number, s.base_dir)


def notifications_off() -> str | None:
    """Why nobody is told about findings (no channel configured, alerts turned off), or None.

    Every page that mentions notifications says this, so an empty log never reads as "all
    quiet" when in fact nothing could have been sent.
    """
    alerts = settings().alerts
    if alerts.get("enabled") is False:
        return "Notifications are turned off (`[alerts] enabled = false` in config.toml)."
    if not alerts.get("channels"):
        return (
            "No notification channel is configured, so nobody is told about findings. Add an "
            "`[alerts.channels.NAME]` block to config.toml (see the README's *Alerts*)."
        )
    return None
