"""Render a Report to Markdown and to one self-contained HTML file with jinja2 templates.

Every value from the inventory or the data is escaped in both formats: HTML by autoescaping,
Markdown by a `finalize` hook that escapes every expression's output unless it is Markup the
renderer built itself (charts, links it checked).
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined
from markupsafe import Markup

from reports.charts import svg_sparkline, svg_week_chart, text_sparkline
from reports.model import HEALTH_ORDER, TABLE_METRICS, IntegrationWeek, MetricWeek, Report
from seamwatch.durations import format_duration
from seamwatch.metrics import METRIC_INFO, Metric, format_value
from seamwatch.timeutil import localize_times

_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~])")


def md_escape(value: Any) -> str:
    """Make a value inert in Markdown: no emphasis, links, table breaks or raw HTML."""
    text = str(value).replace("\r", " ").replace("\n", " ")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_finalize(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, Markup):
        return str(value)
    return md_escape(value)


def _html_finalize(value: Any) -> Any:
    return "" if value is None else value


def _environment(markdown: bool) -> Environment:
    env = Environment(
        loader=PackageLoader("reports", "templates"),
        autoescape=not markdown,
        finalize=_md_finalize if markdown else _html_finalize,
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )
    env.globals.update(HELPERS)
    return env


def fmt(metric: Metric | str, value: float | None) -> str:
    """A metric value as people read it ("412 ms", "0.40%", "37/s")."""
    return format_value(metric, value)


def change(m: MetricWeek | None) -> str:
    """The week-over-week change: "+23%", "+48 msgs" from zero, "—" without both weeks."""
    if m is None or m.this is None or m.last is None:
        return "—"
    if m.last == 0:
        if m.this == 0:
            return "±0%"
        return "+" + format_value(m.metric, m.this)
    pct = m.change * 100  # type: ignore[operator]
    if abs(pct) < 0.5:
        return "±0%"
    return f"{pct:+.0f}%"


def pct(share: float | None, digits: int = 1) -> str:
    """A share as a percentage ("97.3%"), "—" when unknown."""
    return "—" if share is None else f"{share * 100:.{digits}f}%"


def budget(left: float | None) -> str:
    """Error budget left this week: "64%", or how far it was overspent."""
    if left is None:
        return "—"
    if left >= 0:
        return f"{left * 100:.0f}%"
    return f"overspent ({1 - left:.1f}× the budget)"


def local(ts: datetime | None, report: Report, with_date: bool = True) -> str:
    """A UTC instant in the report's time zone ("Tue 17 Nov 14:05")."""
    if ts is None:
        return "—"
    lt = ts.astimezone(report.week.zone)
    return f"{lt:%a %d %b %H:%M}" if with_date else f"{lt:%H:%M}"


def lasted(start: datetime, end: datetime | None) -> str:
    """How long a finding was open, to the minute ("2d3h15m")."""
    if end is None:
        return "—"
    return format_duration(timedelta(minutes=round((end - start).total_seconds() / 60)))


def took(seconds: float | None) -> str:
    """A run's duration ("21m", "1h5m"), "—" when unknown."""
    if seconds is None:
        return "—"
    return format_duration(timedelta(seconds=round(seconds))) if seconds >= 1 else "0s"


def metric_label(metric: Metric | str) -> str:
    """The human label of a metric ("p95 latency"); other text unchanged."""
    try:
        return METRIC_INFO[Metric(metric)].label
    except ValueError:
        return str(metric)


def sentence(text: str) -> str:
    """Text ending in a full stop (summaries may or may not bring their own)."""
    text = text.strip()
    return text if text.endswith((".", "!", "?")) else text + "."


def summary(f: object, report: Report) -> str:
    """A finding's summary as a sentence, its times in the report's zone (stored in UTC)."""
    return sentence(localize_times(str(getattr(f, "summary", "")), report.week.zone))


def safe_url(url: str | None) -> str | None:
    """A link target only when it is plain http(s): never javascript: or data: from an inventory."""
    if url and re.match(r"^https?://[^\s\"'<>]+$", url.strip()):
        return url.strip()
    return None


def ranked(rows: list[IntegrationWeek]) -> list[IntegrationWeek]:
    """Worst health first, then the most critical tier, then by id."""
    order = {h: n for n, h in enumerate(HEALTH_ORDER)}
    return sorted(rows, key=lambda i: (order.get(i.health or "", 50), i.tier or 9, i.id))


def numbers(m: MetricWeek | None) -> str:
    """ "this week (last week)" for one metric."""
    if m is None:
        return "—"
    return f"{fmt(m.metric, m.this)} ({fmt(m.metric, m.last)})"


def dlq(m: MetricWeek | None) -> str:
    """A DLQ's peak and its depth at the end of the week."""
    if m is None:
        return "—"
    return f"{fmt(m.metric, m.this)} (end {fmt(m.metric, m.final)})"


def md_sparkline(values: list[float | None]) -> Markup:
    """Unicode sparkline, safe as Markdown."""
    return Markup(text_sparkline(values))


def chart_labels(
    m: MetricWeek, this: list[float | None], last: list[float | None]
) -> tuple[str, str]:
    """The low and high values a chart's axis spans, as text."""
    present = [v for v in this + last if v is not None]
    if not present:
        return ("", "")
    return fmt(m.metric, min(0.0, min(present))), fmt(m.metric, max(present))


def week_chart(chart: Any) -> Markup:
    """The SVG chart of one changed series."""
    low, high = chart_labels(chart.numbers, chart.this, chart.last)
    label = f"{chart.name}: {metric_label(chart.metric)}, this week vs last week"
    return svg_week_chart(chart.this, chart.last, label, low, high)


HELPERS: dict[str, Any] = {
    "fmt": fmt,
    "change": change,
    "pct": pct,
    "budget": budget,
    "local": local,
    "lasted": lasted,
    "took": took,
    "metric_label": metric_label,
    "safe_url": safe_url,
    "sentence": sentence,
    "summary": summary,
    "ranked": ranked,
    "numbers": numbers,
    "dlq": dlq,
    "svg_sparkline": svg_sparkline,
    "md_sparkline": md_sparkline,
    "week_chart": week_chart,
    "TABLE_METRICS": TABLE_METRICS,
    "Metric": Metric,
}


def render_markdown(report: Report) -> str:
    """The report as Markdown."""
    return _environment(markdown=True).get_template("report.md.j2").render(r=report)


def render_html(report: Report) -> str:
    """The report as one self-contained HTML page (inline CSS and SVG, no external references)."""
    return _environment(markdown=False).get_template("report.html.j2").render(r=report)
