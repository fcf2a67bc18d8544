"""Shared page pieces: health and severity badges, links between pages, filters, downloads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from seamwatch.metrics import format_value

INTEGRATION_PAGE = "views/integration.py"

HEALTH_ICON = {
    "failing": "🔴",
    "no data": "🟣",
    "degrading": "🟠",
    "unmonitored": "⚪",
    "ok": "🟢",
}
HEALTH_COLOR = {
    "failing": "#d62728",
    "no data": "#8e44ad",
    "degrading": "#ff9f1a",
    "unmonitored": "#b0b0b0",
    "ok": "#2ca02c",
}
SEVERITY_ICON = {"critical": "🔴", "warning": "🟠", "info": "🔵"}
SEVERITY_COLOR = {"critical": "#d62728", "warning": "#ff9f1a", "info": "#1f77b4"}


def health_label(health: str | None) -> str:
    """ "🔴 failing" — colour that survives a table and a screen reader."""
    if not health or pd.isna(health):
        return "—"
    return f"{HEALTH_ICON.get(health, '')} {health}".strip()


def severity_label(severity: str | None) -> str:
    """ "🟠 warning"."""
    if not severity or pd.isna(severity):
        return "—"
    return f"{SEVERITY_ICON.get(severity, '')} {severity}".strip()


def integration_url(integration_id: str) -> str:
    """A relative deep link to an integration's page (works under any base path)."""
    from urllib.parse import quote

    return f"integration?integration={quote(str(integration_id), safe='')}"


def human_age(seconds: float | None) -> str:
    """ "3 min", "5 h", "2 d" — how long ago or how long, for a person scanning a table."""
    if seconds is None or pd.isna(seconds):
        return "—"
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 36 * 3600:
        return f"{seconds / 3600:.0f} h"
    return f"{seconds / 86400:.0f} d"


def metric_text(metric: str, value: float | None) -> str:
    """A metric value as people read it, or "—" for unknown metrics and missing values."""
    try:
        return format_value(metric, None if value is None or pd.isna(value) else float(value))
    except ValueError:
        return "—" if value is None or pd.isna(value) else f"{value:g}"


NONE = "(none)"


def _choice(value: Any) -> str:
    return NONE if value is None or pd.isna(value) else str(value)


def multiselect_filter(
    label: str, frame: pd.DataFrame, column: str, key: str, *, container: Any = st
) -> list[str]:
    """A multiselect over a column's values, bound to a query parameter so the view is shareable.

    Values are offered as text ("(none)" for missing), sorted naturally (tier 1 before 10).
    """
    values = frame[column].map(_choice).unique().tolist() if column in frame.columns else []
    options = sorted(values, key=lambda v: (v == NONE, len(v) if v.isdigit() else 0, v))
    return container.multiselect(label, options, key=key, placeholder="all", bind="query-params")


def apply_filter(frame: pd.DataFrame, column: str, chosen: Sequence[str]) -> pd.DataFrame:
    """Rows whose column (as text) is one of the chosen values; all rows when none is chosen."""
    if not chosen or frame.empty:
        return frame
    return frame[frame[column].map(_choice).isin(list(chosen))]


def search(frame: pd.DataFrame, text: str, columns: Sequence[str]) -> pd.DataFrame:
    """Rows where any of the columns contains every word of `text` (case-insensitive)."""
    words = [w for w in text.lower().split() if w]
    if not words or frame.empty:
        return frame
    haystack = pd.Series("", index=frame.index)
    for column in columns:
        if column in frame.columns:
            haystack = haystack + " " + frame[column].map(_as_text).str.lower()
    mask = pd.Series(True, index=frame.index)
    for word in words:
        mask &= haystack.str.contains(word, regex=False)
    return frame[mask]


def _as_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list | tuple) or hasattr(value, "tolist"):
        return " ".join(str(v) for v in list(value))
    return "" if pd.isna(value) else str(value)


def csv_download(frame: pd.DataFrame, file_name: str, label: str = "Download CSV") -> None:
    """A download button with the frame as CSV (lists joined with '; ')."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, list | tuple) else v
            )
    st.download_button(
        label,
        out.to_csv(index=False).encode("utf-8"),
        file_name=file_name,
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )


def as_date(value: Any) -> date | None:
    """A DATE column's value as a date, None when missing."""
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return pd.Timestamp(value).date()


def list_text(value: Any, sep: str = ", ") -> str:
    """A list column's value as text ("—" when empty)."""
    text = sep.join(str(v) for v in list(value)) if _is_list(value) else ""
    return text or "—"


def _is_list(value: Any) -> bool:
    return isinstance(value, list | tuple) or (
        hasattr(value, "tolist") and not isinstance(value, str)
    )
