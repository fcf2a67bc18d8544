"""Shared page pieces: health and severity badges, links between pages, filters, downloads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from seamwatch.metrics import Metric, format_value
from seamwatch.severity import SEVERITIES as _ORDER

INTEGRATION_PAGE = "views/integration.py"

HEALTH_COLOR = {
    "failing": "#d62728",
    "no data": "#8e44ad",
    "degrading": "#ff9f1a",
    "unmonitored": "#9e9e9e",
    "ok": "#2ca02c",
    "not live": "#c8ccd2",
}
"""Worst first; the colours of health everywhere (grid, tags, graph). `not live`: planned or
retired and silent, as expected."""
HEALTHS = tuple(HEALTH_COLOR)
_HEALTH_MD = {
    "failing": ":red[:material/cancel:]",
    "no data": ":violet[:material/signal_disconnected:]",
    "degrading": ":orange[:material/trending_down:]",
    "unmonitored": ":gray[:material/visibility_off:]",
    "ok": ":green[:material/check_circle:]",
    "not live": ":gray[:material/bedtime:]",
}
_SEVERITY_HUE = {"critical": "#d62728", "warning": "#ff9f1a", "info": "#1f77b4"}
SEVERITY_COLOR = {s.value: _SEVERITY_HUE[s.value] for s in _ORDER}
"""The colours of severity, worst first (the spine's order)."""
SEVERITIES = tuple(SEVERITY_COLOR)
_SEVERITY_MD = {
    "critical": ":red[:material/error:]",
    "warning": ":orange[:material/warning:]",
    "info": ":blue[:material/info:]",
}


def health_md(health: str | None) -> str:
    """Health as Markdown with a coloured icon (for st.markdown, metric labels, links)."""
    if not isinstance(health, str):
        return "—"
    return f"{_HEALTH_MD.get(health, '')} {health}".strip()


def severity_md(severity: str | None) -> str:
    """Severity as Markdown with a coloured icon."""
    if not isinstance(severity, str):
        return "—"
    return f"{_SEVERITY_MD.get(severity, '')} {severity}".strip()


def tag(values: pd.Series) -> pd.Series:
    """A text column as one-element lists, for a coloured tag column in st.dataframe."""
    return values.map(lambda v: [v] if isinstance(v, str) else [])


def health_column(label: str = "health") -> Any:
    """A dataframe column showing health as a coloured tag (values from `tag`)."""
    return st.column_config.MultiselectColumn(
        label, options=list(HEALTHS), color=list(HEALTH_COLOR.values()), width=100
    )


def severity_column(label: str = "severity") -> Any:
    """A dataframe column showing severity as a coloured tag (values from `tag`)."""
    return st.column_config.MultiselectColumn(
        label, options=list(SEVERITIES), color=list(SEVERITY_COLOR.values()), width="small"
    )


TIME_FORMAT = "ddd DD MMM HH:mm"
"""How tables show times (already converted to the display zone)."""


def time_columns(*names: str) -> dict[str, Any]:
    """Column configs that show timestamp columns as "Wed 25 Nov 09:13"."""
    return {
        name: st.column_config.DatetimeColumn(name.replace("_", " "), format=TIME_FORMAT)
        for name in names
    }


def integration_url(integration_id: str) -> str:
    """A relative deep link to an integration's page (works under any base path)."""
    from urllib.parse import quote

    return f"integration?integration={quote(str(integration_id), safe='')}"


_URL_SAFE = r"[A-Za-z0-9_.~-]*"
"""Characters `quote(..., safe='')` leaves as they are."""


def integration_urls(ids: pd.Series) -> pd.Series:
    """`integration_url` of a whole column at once: plain ids joined as text, only the few that
    need escaping quoted one by one (a fleet table has ten thousand rows)."""
    text = ids.astype(str)
    plain = text.str.fullmatch(_URL_SAFE).to_numpy(dtype=bool)
    out = "integration?integration=" + text
    if not plain.all():
        out[~plain] = text[~plain].map(integration_url)
    return out


def human_ages(seconds: pd.Series) -> pd.Series:
    """`human_age` of a whole column at once (same rounding: both round half to even)."""
    values = pd.to_numeric(seconds, errors="coerce").to_numpy(dtype=float)
    missing = np.isnan(values)
    values = np.maximum(np.where(missing, 0.0, values), 0.0)
    scaled = np.select(
        [values < 90, values < 90 * 60, values < 36 * 3600],
        [values, values / 60, values / 3600],
        values / 86400,
    )
    unit = np.select(
        [values < 90, values < 90 * 60, values < 36 * 3600], [" s", " min", " h"], " d"
    )
    text = np.char.add(np.rint(scaled).astype(np.int64).astype(str), unit).astype(object)
    text[missing] = "—"
    return pd.Series(text, index=seconds.index, dtype=object)


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


def metric_texts(metric: str, values: pd.Series) -> pd.Series:
    """`metric_text` of a whole column: the metric is resolved once, missing values found as one
    array, and only the present values formatted."""
    numbers = pd.to_numeric(values, errors="coerce").to_numpy(dtype=float)
    present = ~np.isnan(numbers)
    out = np.full(len(numbers), format_value(metric, None), dtype=object)
    try:
        known = Metric(metric)
    except ValueError:
        out[present] = [f"{v:g}" for v in numbers[present].tolist()]
        return pd.Series(out, index=values.index, dtype=object)
    # Below 999.5 no value gets a thousands separator, so format_value's texts are plain
    # printf formats a whole array takes at once; the rest (rare) go one by one.
    small = present & (np.abs(np.where(present, numbers, 0.0)) < 999.5)
    vector = _VECTOR_FORMATS.get(known)
    if vector is not None and small.any():
        out[small] = vector(numbers[small]).astype(object)
    rest = present & ~small if vector is not None else present
    out[rest] = [format_value(known, v) for v in numbers[rest].tolist()]
    return pd.Series(out, index=values.index, dtype=object)


def _latency_texts(v: np.ndarray) -> np.ndarray:
    return np.where(v >= 10, np.char.mod("%.0f ms", v), np.char.mod("%.1f ms", v))


def _count_texts(unit: str) -> Any:
    def texts(v: np.ndarray) -> np.ndarray:
        return np.char.add(np.char.mod(f"%.0f {unit}", v), np.where(np.rint(v) == 1, "", "s"))

    return texts


def _rate_texts(v: np.ndarray) -> np.ndarray:
    return np.where(v < 100, np.char.mod("%.1f/s", v), np.char.mod("%.0f/s", v))


_VECTOR_FORMATS: dict[Metric, Any] = {
    Metric.ERROR_RATE: lambda v: np.char.mod("%.2f%%", v * 100),
    Metric.LATENCY_P50_MS: _latency_texts,
    Metric.LATENCY_P95_MS: _latency_texts,
    Metric.LATENCY_P99_MS: _latency_texts,
    Metric.DLQ_DEPTH: _count_texts("msg"),
    Metric.BACKLOG: _count_texts("msg"),
    Metric.CONSUMERS: _count_texts("consumer"),
    Metric.THROUGHPUT: _rate_texts,
    Metric.CONSUME_RATE: _rate_texts,
}
"""`format_value` as array formats, for values below 999.5 (no thousands separator)."""


NONE = "(none)"


def _choice(value: Any) -> str:
    return NONE if value is None or pd.isna(value) else str(value)


def multiselect_filter(
    label: str, frame: pd.DataFrame, column: str, key: str, *, container: Any = st
) -> list[str]:
    """A multiselect over a column's values, bound to a query parameter so the view is shareable.

    Values are offered as text ("(none)" for missing), sorted naturally (tier 1 before 10).
    """
    values = []
    if column in frame.columns:  # each distinct value once, not every row
        present = frame[column].dropna().unique()
        values = list(dict.fromkeys(str(v) for v in present))
        values += [NONE] if frame[column].isna().any() else []
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
    """A download button with the frame as CSV (lists and arrays, e.g. tags, joined with '; ')."""
    out = frame.copy()
    for column in out.columns:
        if out[column].dtype == object:
            out[column] = out[column].map(
                lambda v: "; ".join(map(str, v)) if isinstance(v, list | tuple | np.ndarray) else v
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


def team_md(team: Any, owner: Any = None) -> str:
    """A team as Markdown lines: its name (and slug), members, contacts, chat and on-call links;
    the bare owner slug with a hint when no `[[team]]` declares it; "—" without an owner."""
    if team is None or (isinstance(team, pd.DataFrame) and team.empty):
        if not isinstance(owner, str) or not owner:
            return "**Owner** —"
        return f"**Owner** `{owner}` :gray[(no `[[team]]` in the inventory says who that is)]"
    row = team.iloc[0] if isinstance(team, pd.DataFrame) else team
    if not bool(row["declared"]):
        return team_md(None, row["team_id"])
    links = [
        f"[{label}]({row[key]})"
        for key, label in (("chat", "chat"), ("oncall", "on-call"))
        if isinstance(row[key], str) and row[key]
    ]
    lines = [
        f"**Owner** {row['name']} (`{row['team_id']}`)"
        + (" · " + " · ".join(links) if links else ""),
        f"**Members** {list_text(row['members'])}",
    ]
    if _is_list(row["contacts"]) and len(list(row["contacts"])):
        lines.append(f"**Team contacts** {list_text(row['contacts'])}")
    return "  \n".join(lines)


def told_text(sent: pd.DataFrame, finding_id: str, quiet: str | None = None) -> str:
    """What was sent about one finding, newest first: "sent to ops-slack Wed 25 Nov 09:13";
    "no channel configured" when nothing could be sent; "" when nothing was yet."""
    rows = sent[sent["finding_id"] == finding_id] if not sent.empty else sent
    if rows.empty:
        return "no channel configured" if quiet else ""
    parts = []
    for _, row in rows.head(3).iterrows():
        at = row["sent_at"] if not pd.isna(row["sent_at"]) else row["created_at"]
        status = "sent to" if row["status"] == "sent" else f"{row['status']}:"
        parts.append(f"{row['event']} {status} {row['channel']} {_local(at)}")
    more = len(rows) - 3
    return "; ".join(parts) + (f" (+{more} more)" if more > 0 else "")


def _local(ts: Any) -> str:
    from app.data import local_text

    return local_text(ts)


NULL = "—"
"""How every page shows a missing value (never None, NaN, n/a, never or a blank)."""


def show_table(
    frame: pd.DataFrame, column_config: dict[str, Any] | None = None, **kwargs: Any
) -> Any:
    """st.dataframe as a person reads it: "—" for missing text, whole tiers, and headers in
    words ("source system", not `source_system`) unless a column's config names it."""
    out = frame.copy()
    config = dict(column_config or {})
    for column in out.columns:
        name = str(column)
        if name == "tier" or name.endswith(" tier"):
            out[column] = _whole_numbers(out[column])
        elif out[column].dtype == object or str(out[column].dtype) in ("string", "str"):
            out[column] = _null_for_missing(out[column])
        if "_" in name and name not in config:
            config[name] = st.column_config.Column(name.replace("_", " "))
    kwargs.setdefault("hide_index", True)
    return st.dataframe(out, column_config=config, **kwargs)


def _whole_numbers(values: pd.Series) -> pd.Series:
    """Numbers as whole-number text ("2", not "2.0"), NULL where missing; the column at once."""
    numbers = pd.to_numeric(values, errors="coerce")
    if numbers.isna().to_numpy().sum() != values.isna().to_numpy().sum():  # not all numbers
        return values.map(lambda v: NULL if v is None or pd.isna(v) else str(int(v)))
    missing = numbers.isna().to_numpy()
    text = np.full(len(values), NULL, dtype=object)
    text[~missing] = numbers[~missing].to_numpy().astype(np.int64).astype(str).astype(object)
    return pd.Series(text, index=values.index, dtype=object)


def _null_for_missing(values: pd.Series) -> pd.Series:
    """NULL for missing or empty text; whole columns of text at once (a fleet table has tens
    of thousands of cells), other values (lists, numbers) one by one."""
    if str(values.dtype) in ("string", "str") or (
        values.dtype == object and pd.api.types.infer_dtype(values, skipna=True) == "string"
    ):
        missing = values.isna().to_numpy() | (values.to_numpy() == "")
        return values.where(~missing, NULL)
    if len(values) and values.dtype == object and pd.api.types.infer_dtype(values) == "empty":
        return pd.Series(NULL, index=values.index)  # nothing but missing values
    if values.dtype == object and all(type(v) is list for v in values):  # tags: never missing
        return values
    return values.map(lambda v: NULL if _missing(v) else v)


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, list | tuple | np.ndarray):
        return False
    try:
        return bool(pd.isna(value)) or value == ""
    except (TypeError, ValueError):
        return False
