"""Charts shared by pages: a metric over time with its baseline, findings and SLO; the health
grid; the data-flow graph between systems.

Times are drawn as wall time of the configured zone (naive timestamps, which the browser reads
as they are), so every viewer sees the same clock whatever their browser's zone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from app.data import timezone
from app.ui import HEALTH_COLOR, SEVERITY_COLOR, integration_url
from seamwatch.metrics import METRIC_INFO, Metric

TIME_FORMAT = "%a %d %b %H:%M"


def wall_time(values: pd.Series) -> pd.Series:
    """UTC instants as naive wall time of the display zone."""
    return pd.to_datetime(values, utc=True).dt.tz_convert(timezone()).dt.tz_localize(None)


def _value_axis(metric: str) -> tuple[str, str]:
    """(axis title, d3 number format) for a metric."""
    if metric == Metric.ERROR_RATE:
        return "error rate", ".2%"
    try:
        info = METRIC_INFO[Metric(metric)]
    except ValueError:
        return metric, ",.4~g"
    return f"{info.label} ({info.unit})", ",.4~g"


def metric_chart(
    metric: str,
    series: pd.DataFrame,
    baseline: pd.DataFrame,
    findings: pd.DataFrame,
    *,
    start: datetime,
    end: datetime,
    slo: float | None = None,
    height: int = 220,
) -> dict[str, Any]:
    """One metric as a Vega-Lite spec: the series, last week's same hours behind it (grey,
    dashed), an SLO line, and findings shaded from where they opened to where they resolved
    (or now), with a rule at each open (red) and resolve (green).

    A plain spec rather than Altair objects: building six of these with Altair's schema
    validation cost ~250 ms per page; as dicts it is a few milliseconds.
    """
    title, fmt = _value_axis(metric)
    x_scale = {"domain": [_wall_iso(start), _wall_iso(end)]}
    x = {"field": "t", "type": "temporal", "title": None, "scale": x_scale,
         "axis": {"format": TIME_FORMAT, "labelOverlap": True}}  # fmt: skip
    lines = _points(baseline, "same hours last week") + _points(series, "this period")
    datasets: dict[str, list[dict[str, Any]]] = {"lines": lines}
    layers: list[dict[str, Any]] = []
    spans = _finding_spans(findings, start, end)
    if not spans.empty:
        tooltip = [
            {"field": "severity", "type": "nominal"},
            {"field": "summary", "type": "nominal"},
            {"field": "opened", "type": "nominal"},
            {"field": "resolved", "type": "nominal"},
        ]
        datasets["spans"] = spans.to_dict("records")
        layers.append(
            {
                "data": {"name": "spans"},
                "mark": {"type": "rect", "opacity": 0.12, "clip": True},
                "encoding": {
                    "x": {"field": "t", "type": "temporal", "scale": x_scale},
                    "x2": {"field": "t2"},
                    "color": {
                        "field": "severity",
                        "type": "nominal",
                        "scale": {
                            "domain": list(SEVERITY_COLOR),
                            "range": list(SEVERITY_COLOR.values()),
                        },
                        "legend": None,
                    },
                    "tooltip": tooltip,
                },
            }
        )
        marks = [
            {"at": at, "event": event, "severity": r["severity"], "summary": r["summary"]}
            for r in datasets["spans"]
            for at, event in ((r["t_open"], "opened"), (r["t_resolved"], "resolved"))
            if at
        ]
        if marks:
            datasets["marks"] = marks
            resolved = "datum.event == 'resolved'"
            layers.append(
                {
                    "data": {"name": "marks"},
                    "mark": {"type": "rule", "strokeWidth": 1.5, "clip": True},
                    "encoding": {
                        "x": {"field": "at", "type": "temporal", "scale": x_scale},
                        "color": {
                            "condition": {"test": resolved, "value": "#2ca02c"},
                            "value": SEVERITY_COLOR["critical"],
                        },
                        "strokeDash": {
                            "condition": {"test": resolved, "value": [2, 2]},
                            "value": [1, 0],
                        },
                        "tooltip": [
                            {"field": "event", "type": "nominal"},
                            {"field": "severity", "type": "nominal"},
                            {"field": "summary", "type": "nominal"},
                        ],
                    },
                }
            )
    layers.append(
        {
            "data": {"name": "lines"},
            "mark": {"type": "line", "strokeWidth": 1.4, "interpolate": "monotone", "clip": True},
            "encoding": {
                "x": x,
                "y": {
                    "field": "value",
                    "type": "quantitative",
                    "title": title,
                    "axis": {"format": fmt},
                },
                "color": {
                    "field": "series",
                    "type": "nominal",
                    "scale": {
                        "domain": ["this period", "same hours last week"],
                        "range": ["#1f77b4", "#b8b8b8"],
                    },
                    "legend": {"orient": "top", "title": None},
                },
                "strokeDash": {
                    "condition": {
                        "test": "datum.series == 'same hours last week'",
                        "value": [4, 3],
                    },
                    "value": [1, 0],
                },
                "tooltip": [
                    {"field": "t", "type": "temporal", "title": "time", "format": TIME_FORMAT},
                    {"field": "series", "type": "nominal", "title": " "},
                    {"field": "value", "type": "quantitative", "title": title, "format": fmt},
                ],
            },
        }
    )
    if slo is not None and not pd.isna(slo):
        datasets["slo"] = [{"slo": float(slo), "label": f"SLO {_slo_text(metric, slo)}"}]
        y = {"field": "slo", "type": "quantitative"}
        layers.append(
            {
                "data": {"name": "slo"},
                "mark": {
                    "type": "rule",
                    "color": "#d62728",
                    "strokeDash": [6, 3],
                    "strokeWidth": 1.2,
                },
                "encoding": {
                    "y": y,
                    "tooltip": [{"field": "label", "type": "nominal", "title": " "}],
                },
            }
        )
        layers.append(
            {
                "data": {"name": "slo"},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 4,
                    "dy": -6,
                    "color": "#d62728",
                    "fontSize": 11,
                },
                "encoding": {"y": y, "x": {"value": 0}, "text": {"field": "label"}},
            }
        )
    return {
        "height": height,
        "datasets": datasets,
        "layer": layers,
        "resolve": {"scale": {"color": "independent"}},
    }


def _points(data: pd.DataFrame, kind: str) -> list[dict[str, Any]]:
    """{t, value, series} records, t as ISO wall time text."""
    values = data["value"].astype(float).tolist()
    return [
        {"t": t, "value": v, "series": kind} for t, v in zip(_iso(data["ts"]), values, strict=True)
    ]


def _slo_text(metric: str, value: float) -> str:
    if metric == Metric.ERROR_RATE:
        return f"{value * 100:.2g}%"
    return f"{value:,.0f}"


def _wall_iso(ts: datetime) -> str:
    """A UTC instant as ISO wall time of the display zone, without offset (as the data is)."""
    return pd.Timestamp(ts).tz_convert(timezone()).tz_localize(None).isoformat()


def _finding_spans(findings: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    """Findings overlapping [start, end), with their open and resolve times as wall time."""
    if findings.empty:
        return pd.DataFrame()
    f = findings.copy()
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    resolved = pd.to_datetime(f["resolved_at"], utc=True)
    first = pd.to_datetime(f["first_seen"], utc=True)
    f = f[(first < hi) & (resolved.isna() | (resolved >= lo))]
    if f.empty:
        return pd.DataFrame()
    first = pd.to_datetime(f["first_seen"], utc=True)
    resolved = pd.to_datetime(f["resolved_at"], utc=True)
    out = pd.DataFrame(
        {
            "severity": f["severity"].to_numpy(),
            "summary": f["summary"].to_numpy(),
            "t": _iso(first.clip(lower=lo)),
            "t2": _iso(resolved.fillna(hi).clip(upper=hi)),
            "t_open": _iso(first.where(first >= lo)),
            "t_resolved": _iso(resolved.where(resolved < hi)),
            "opened": wall_time(first).dt.strftime(TIME_FORMAT).to_numpy(),
            "resolved": wall_time(resolved)
            .dt.strftime(TIME_FORMAT)
            .fillna("still open")
            .to_numpy(),
        }
    )
    return out


def _iso(values: pd.Series) -> list[str | None]:
    """UTC instants as ISO wall-time text of the display zone; None where missing."""
    wall = wall_time(values).to_numpy().astype("datetime64[s]")
    text = np.datetime_as_string(wall)
    return [None if t == "NaT" else t for t in text.tolist()]


def health_grid(fleet: pd.DataFrame, group: str | None) -> alt.Chart:
    """One square per integration, coloured by health, worst first, one row per group;
    a click opens the integration's page."""
    data = fleet[
        [
            "integration_id",
            "name",
            "owner",
            "tier",
            "pattern",
            "lifecycle",
            "health",
            "reason",
            "health_rank",
        ]
    ].copy()
    data["group"] = (
        data[group].map(lambda v: "(none)" if pd.isna(v) else str(v)) if group else "fleet"
    )
    data = data.sort_values(["group", "health_rank", "tier", "integration_id"], na_position="last")
    columns = 40
    data["pos"] = data.groupby("group").cumcount()
    data["col"] = data["pos"] % columns
    data["row"] = data["pos"] // columns
    data["url"] = data["integration_id"].map(integration_url)
    data["reason"] = data["reason"].fillna("")
    groups = data["group"].drop_duplicates().tolist()
    square = 18
    chart = (
        alt.Chart(data)
        .mark_square(size=square * square * 0.85, opacity=0.95)
        .encode(
            x=alt.X("col:O", axis=None),
            y=alt.Y("row:O", axis=None),
            color=alt.Color(
                "health:N",
                scale=alt.Scale(domain=list(HEALTH_COLOR), range=list(HEALTH_COLOR.values())),
                legend=alt.Legend(orient="top", title=None),
            ),
            href="url:N",
            tooltip=[
                alt.Tooltip("integration_id:N", title="integration"),
                alt.Tooltip("name:N"),
                alt.Tooltip("health:N"),
                alt.Tooltip("reason:N"),
                alt.Tooltip("owner:N"),
                alt.Tooltip("tier:O"),
            ],
        )
        .properties(width=columns * (square + 2), height=alt.Step(square + 2))
    )
    if group:
        return chart.facet(
            row=alt.Row(
                "group:N",
                sort=groups,
                title=None,
                header=alt.Header(labelAngle=0, labelAlign="left", labelFontWeight="bold"),
            ),
            spacing=6,
        ).resolve_scale(y="independent")
    return chart


def flow_graph(fleet: pd.DataFrame) -> str:
    """Graphviz DOT of systems (nodes) and integrations (edges source -> target, coloured by
    health, labelled with the integration id)."""
    lines = [
        "digraph flows {",
        '  graph [rankdir=LR, bgcolor="transparent", fontname="Helvetica", nodesep=0.25, ranksep=0.9];',
        '  node [shape=box, style="rounded,filled", fillcolor="#f4f6f8", color="#9aa5b1", '
        'fontname="Helvetica", fontsize=11];',
        '  edge [fontname="Helvetica", fontsize=9, arrowsize=0.7];',
    ]
    rows = fleet.dropna(subset=["source_system", "target_system"])
    for system in sorted(set(rows["source_system"]) | set(rows["target_system"])):
        lines.append(f"  {_dot(system)};")
    for _, row in rows.iterrows():
        color = HEALTH_COLOR.get(str(row.get("health")), "#9aa5b1")
        style = "dashed" if row.get("lifecycle") in ("deprecated", "planned") else "solid"
        lines.append(
            f"  {_dot(row['source_system'])} -> {_dot(row['target_system'])} "
            f"[label={_dot(row['integration_id'])}, color={_dot(color)}, fontcolor={_dot(color)}, "
            f"style={style}, tooltip={_dot(str(row.get('name') or ''))}, "
            f'URL={_dot(integration_url(row["integration_id"]))}, target="_self"];'
        )
    lines.append("}")
    return "\n".join(lines)


def _dot(text: str) -> str:
    """A DOT quoted string."""
    return '"' + str(text).replace("\\", "\\\\").replace('"', '\\"') + '"'
