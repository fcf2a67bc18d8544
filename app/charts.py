"""Charts shared by pages: a metric over time with its baseline, findings and SLO; the health
grid; the data-flow graph between systems.

Times are drawn as wall time of the configured zone (naive timestamps, which the browser reads
as they are), so every viewer sees the same clock whatever their browser's zone.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import altair as alt
import numpy as np
import pandas as pd

from app.data import settings, timezone
from app.ui import HEALTH_COLOR, SEVERITY_COLOR, integration_url, integration_urls
from seamwatch.metrics import METRIC_INFO, Metric, format_value

TIME_FORMAT = "%a %d %b %H:%M"
AXIS_FORMAT = "%a %d %b %H:%M"
"""24-hour clock on every time axis (Vega's default multi-format switches to "01 PM")."""


def value_text(metric: str, value: float) -> str:
    """A metric value as people read it ("295 ms", "0.42%")."""
    try:
        return format_value(metric, value)
    except ValueError:
        return f"{value:,.4g}"


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


PANEL_WIDTH = 400
"""Pixels per metric panel; two panels side by side fill a wide page."""
STALE_MARK = "#8e44ad"
MAX_AHEAD = 0.2
"""How far past now (a share of the range) the time axis grows to show a projected breach."""


@dataclass(frozen=True)
class Panel:
    """One metric's panel: its points, last week's, findings, SLO and the latest sample."""

    metric: str
    series: pd.DataFrame
    baseline: pd.DataFrame
    findings: pd.DataFrame
    slo: float | None = None
    stale_since: datetime | None = None  # the latest sample's time when it is stale


def metric_panels(
    panels: list[Panel], *, start: datetime, end: datetime, height: int = 200
) -> dict[str, Any]:
    """Every metric of one integration as one Vega-Lite spec, two panels a row, sharing a
    crosshair: pointing anywhere in a panel picks the nearest time, draws a rule there in every
    panel and shows that time's values as a tooltip.

    Each panel: the series, last week's same hours (grey, dashed), the SLO line, findings
    shaded from their onset to their resolve (or now), a change point with the levels before
    and after, a trend's fitted line projected to the SLO with the breach date, and a stale
    latest value marked as such. One spec rather than one chart per metric, because Vega-Lite
    shares a selection only within a spec. Plain dicts: Altair's schema validation of six
    layered panels costs ~250 ms per page.
    """
    datasets: dict[str, list[dict[str, Any]]] = {}
    views: list[dict[str, Any]] = []
    hover_views = []
    end_shown = end
    for panel in panels:
        for f in _evidence_rows(panel, start, end):
            if f.get("kind") == "projection" and f.get("until"):
                end_shown = max(end_shown, min(f["until"], end + (end - start) * MAX_AHEAD))
    x_scale = {"domain": [_wall_iso(start), _wall_iso(end_shown)]}
    for index, panel in enumerate(panels):
        view, data = _panel(panel, index, start, end, x_scale, height)
        datasets.update(data)
        views.append(view)
        hover_views.append(f"hover_{index}")
    params = [
        {
            "name": "hover",
            "select": {
                "type": "point",
                "fields": ["t"],
                "nearest": True,
                "on": "pointerover",
                "clear": "pointerout",
            },
            "views": hover_views,
        }
    ]
    # Rows of two as vconcat of hconcat: Streamlit 1.67 draws nothing for a wrapped `concat`.
    rows = [{"hconcat": views[i : i + 2], "spacing": 24} for i in range(0, len(views), 2)]
    return {
        "datasets": datasets,
        "params": params,
        "vconcat": rows,
        "spacing": 16,
        "autosize": {"type": "pad"},
        "config": {"view": {"stroke": None}},
    }


def _panel(
    panel: Panel, index: int, start: datetime, end: datetime, x_scale: dict, height: int
) -> tuple[dict[str, Any], dict[str, list[dict[str, Any]]]]:
    metric = panel.metric
    title, fmt = _value_axis(metric)
    x = {"field": "t", "type": "temporal", "title": None, "scale": x_scale,
         "axis": {"format": AXIS_FORMAT, "labelOverlap": True}}  # fmt: skip
    key = f"m{index}"
    lines = _points(panel.baseline, "same hours last week") + _points(panel.series, "this period")
    data: dict[str, list[dict[str, Any]]] = {f"{key}_lines": lines}
    layers: list[dict[str, Any]] = []
    spans = _finding_spans(panel.findings, start, end)
    if not spans.empty:
        data[f"{key}_spans"] = spans.to_dict("records")
        layers.append(
            {
                "data": {"name": f"{key}_spans"},
                "mark": {"type": "rect", "opacity": 0.14, "clip": True},
                "encoding": {
                    "x": {"field": "t", "type": "temporal"},
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
                    "tooltip": [
                        {"field": "severity", "type": "nominal"},
                        {"field": "summary", "type": "nominal"},
                        {"field": "since", "type": "nominal"},
                        {"field": "resolved", "type": "nominal"},
                    ],
                },
            }
        )
    evidence = _evidence_rows(panel, start, end)
    levels = [e for e in evidence if e["kind"] in ("before", "after")]
    changes = [e for e in evidence if e["kind"] == "change"]
    trend = [e for e in evidence if e["kind"] in ("fit", "projection")]
    if levels:
        data[f"{key}_levels"] = [{**e, "t": e["t_iso"], "t2": e["t2_iso"]} for e in levels]
        layers.append(
            {
                "data": {"name": f"{key}_levels"},
                "mark": {"type": "rule", "strokeWidth": 2.5, "color": "#444", "clip": True},
                "encoding": {
                    "x": {"field": "t", "type": "temporal"},
                    "x2": {"field": "t2"},
                    "y": {"field": "value", "type": "quantitative"},
                    "strokeDash": {
                        "condition": {"test": "datum.kind == 'before'", "value": [5, 3]},
                        "value": [1, 0],
                    },
                    "tooltip": [{"field": "label", "type": "nominal", "title": "level"}],
                },
            }
        )
    if changes:
        data[f"{key}_changes"] = [{**e, "t": e["t_iso"]} for e in changes]
        layers.append(
            {
                "data": {"name": f"{key}_changes"},
                "mark": {"type": "rule", "strokeWidth": 2, "color": "#d62728", "clip": True},
                "encoding": {
                    "x": {"field": "t", "type": "temporal"},
                    "tooltip": [{"field": "label", "type": "nominal", "title": "change point"}],
                },
            }
        )
        layers.append(
            {
                "data": {"name": f"{key}_changes"},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "baseline": "top",
                    "dx": 4,
                    "dy": 4,
                    "fontSize": 11,
                    "color": "#d62728",
                    "clip": True,
                },
                "encoding": {
                    "x": {"field": "t", "type": "temporal"},
                    "y": {"value": 0},
                    "text": {"field": "label"},
                },
            }
        )
    if trend:
        data[f"{key}_trend"] = [
            {"kind": e["kind"], "t": t, "y": y, "label": e["label"]}
            for e in trend
            for t, y in ((e["t_iso"], e["y0"]), (e["t2_iso"], e["y1"]))
        ]
        layers.append(
            {
                "data": {"name": f"{key}_trend"},
                "mark": {"type": "line", "strokeWidth": 2, "color": "#ff7f0e", "clip": True},
                "encoding": {
                    "x": {"field": "t", "type": "temporal"},
                    "y": {"field": "y", "type": "quantitative"},
                    "detail": {"field": "kind", "type": "nominal"},
                    "strokeDash": {
                        "condition": {"test": "datum.kind == 'projection'", "value": [4, 4]},
                        "value": [1, 0],
                    },
                    "tooltip": [{"field": "label", "type": "nominal", "title": "trend"}],
                },
            }
        )
        ends = [e for e in trend if e["kind"] == "projection" and e.get("breach_text")]
        if ends:
            data[f"{key}_breach"] = [{"t": e["t2_iso"], "y": e["y1"], "label": e["breach_text"]}
                                     for e in ends]  # fmt: skip
            layers.append(
                {
                    "data": {"name": f"{key}_breach"},
                    "mark": {
                        "type": "point",
                        "shape": "diamond",
                        "size": 80,
                        "filled": True,
                        "color": "#d62728",
                        "clip": True,
                    },
                    "encoding": {
                        "x": {"field": "t", "type": "temporal"},
                        "y": {"field": "y", "type": "quantitative"},
                        "tooltip": [{"field": "label", "type": "nominal", "title": " "}],
                    },
                }
            )
            layers.append(
                {
                    "data": {"name": f"{key}_breach"},
                    "mark": {
                        "type": "text",
                        "align": "right",
                        "dx": -6,
                        "dy": -10,
                        "fontSize": 11,
                        "color": "#d62728",
                    },
                    "encoding": {
                        "x": {"field": "t", "type": "temporal"},
                        "y": {"field": "y", "type": "quantitative"},
                        "text": {"field": "label"},
                    },
                }
            )
    color = {
        "field": "series",
        "type": "nominal",
        "scale": {
            "domain": ["this period", "same hours last week"],
            "range": ["#1f77b4", "#b8b8b8"],
        },
        "legend": {"orient": "top", "title": None} if index == 0 else None,
    }
    y = {"field": "value", "type": "quantitative", "title": title, "axis": {"format": fmt}}
    layers.append(
        {
            "data": {"name": f"{key}_lines"},
            "mark": {"type": "line", "strokeWidth": 1.4, "interpolate": "monotone", "clip": True},
            "encoding": {
                "x": x,
                "y": y,
                "color": color,
                "strokeDash": {
                    "condition": {
                        "test": "datum.series == 'same hours last week'",
                        "value": [4, 3],
                    },
                    "value": [1, 0],
                },
            },
        }
    )
    # The nearest-point layer: invisible points whose Voronoi cells catch the pointer anywhere
    # in the panel; the selection (shared by every panel) is the nearest time.
    tooltip = [
        {"field": "t", "type": "temporal", "title": "time", "format": TIME_FORMAT},
        {"field": "value", "type": "quantitative", "title": title, "format": fmt},
    ]
    if not panel.baseline.empty:
        tooltip.append({"field": "last_week", "type": "quantitative",
                        "title": "same hour last week", "format": fmt})  # fmt: skip
    data[f"{key}_hover"] = _hover_points(panel.series, panel.baseline)
    layers.append(
        {
            "name": f"hover_{index}",
            "data": {"name": f"{key}_hover"},
            "mark": {"type": "point", "opacity": 0, "size": 4},
            "encoding": {
                "x": {"field": "t", "type": "temporal"},
                "y": {"field": "value", "type": "quantitative"},
                "tooltip": tooltip,
            },
        }
    )
    layers.append(
        {
            "data": {"name": f"{key}_hover"},
            "transform": [{"filter": {"param": "hover", "empty": False}}],
            "mark": {"type": "rule", "color": "#555", "strokeWidth": 1},
            # the same tooltip: the rule sits under the pointer, above the Voronoi cells
            "encoding": {"x": {"field": "t", "type": "temporal"}, "tooltip": tooltip},
        }
    )
    layers.append(
        {
            "data": {"name": f"{key}_hover"},
            "transform": [{"filter": {"param": "hover", "empty": False}}],
            "mark": {"type": "point", "filled": True, "color": "#1f77b4", "size": 40},
            "encoding": {
                "x": {"field": "t", "type": "temporal"},
                "y": {"field": "value", "type": "quantitative"},
                "tooltip": tooltip,
            },
        }
    )
    if panel.stale_since is not None and not panel.series.empty:
        last = panel.series.iloc[-1]
        data[f"{key}_stale"] = [
            {"t": _iso(pd.Series([last["ts"]]))[0], "value": float(last["value"]),
             "label": f"stale: last sample {_wall_text(panel.stale_since)}"}
        ]  # fmt: skip
        layers.append(
            {
                "data": {"name": f"{key}_stale"},
                "mark": {
                    "type": "point",
                    "shape": "circle",
                    "size": 70,
                    "filled": False,
                    "strokeWidth": 2,
                    "color": STALE_MARK,
                },
                "encoding": {
                    "x": {"field": "t", "type": "temporal"},
                    "y": {"field": "value", "type": "quantitative"},
                    "tooltip": [{"field": "label", "type": "nominal", "title": " "}],
                },
            }
        )
    if panel.slo is not None and not pd.isna(panel.slo):
        data[f"{key}_slo"] = [{"slo": float(panel.slo),
                               "label": f"SLO {_slo_text(metric, panel.slo)}"}]  # fmt: skip
        slo_y = {"field": "slo", "type": "quantitative"}
        layers.append(
            {
                "data": {"name": f"{key}_slo"},
                "mark": {
                    "type": "rule",
                    "color": "#d62728",
                    "strokeDash": [6, 3],
                    "strokeWidth": 1.2,
                },
                "encoding": {"y": slo_y},
            }
        )
        layers.append(
            {
                "data": {"name": f"{key}_slo"},
                "mark": {
                    "type": "text",
                    "align": "left",
                    "dx": 4,
                    "dy": -6,
                    "color": "#d62728",
                    "fontSize": 11,
                },
                "encoding": {"y": slo_y, "x": {"value": 0}, "text": {"field": "label"}},
            }
        )
    label = _panel_title(metric)
    view = {
        "title": {"text": label, "anchor": "start", "fontSize": 13},
        "width": PANEL_WIDTH,
        "height": height,
        "layer": layers,
        "resolve": {"scale": {"color": "independent"}},
    }
    return view, data


def _panel_title(metric: str) -> str:
    try:
        return METRIC_INFO[Metric(metric)].label
    except ValueError:
        return metric


def _hover_points(series: pd.DataFrame, baseline: pd.DataFrame) -> list[dict[str, Any]]:
    """{t, value, last_week} per time of this period: what the crosshair's tooltip shows."""
    if series.empty:
        return []
    values = series["value"].astype(float).tolist()
    times = _iso(series["ts"])
    before: dict[str | None, float] = {}
    if not baseline.empty:
        before = dict(zip(_iso(baseline["ts"]), baseline["value"].astype(float), strict=True))
    return [
        {"t": t, "value": v, "last_week": before.get(t)} for t, v in zip(times, values, strict=True)
    ]


def _evidence_rows(panel: Panel, start: datetime, end: datetime) -> list[dict[str, Any]]:
    """What a panel draws from its findings' evidence: a change point with the levels before
    and after it, and a trend's fitted line with its projection to the SLO."""
    out: list[dict[str, Any]] = []
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    for _, f in panel.findings.iterrows():
        evidence = _evidence(f.get("evidence"))
        if not evidence:
            continue
        onset = _onset(f)
        until = _ts(f.get("resolved_at")) or hi
        metric = panel.metric
        changed = _ts(evidence.get("changed_at"))
        base, cur = _num(evidence.get("baseline")), _num(evidence.get("current"))
        if changed is not None and base is not None and cur is not None and lo <= changed < hi:
            left = max(lo, changed - (until - changed))
            out.append({"kind": "before", "value": base, "t_iso": _wall_iso(left),
                        "t2_iso": _wall_iso(changed),
                        "label": f"before {value_text(metric, base)}"})  # fmt: skip
            out.append({"kind": "after", "value": cur, "t_iso": _wall_iso(changed),
                        "t2_iso": _wall_iso(min(until, hi)),
                        "label": f"after {value_text(metric, cur)}"})  # fmt: skip
            out.append({"kind": "change", "t_iso": _wall_iso(changed),
                        "label": f"{value_text(metric, base)} → {value_text(metric, cur)} "
                                 f"at {_wall_text(changed)}"})  # fmt: skip
        rate = _num(evidence.get("change_per_week"))
        anchor = _ts(f.get("last_seen"))
        if rate is not None and cur is not None and anchor is not None and rate > -1:
            out += _trend_rows(metric, cur, rate, anchor, onset, evidence, lo, hi)
    return out


def _trend_rows(
    metric: str,
    current: float,
    rate: float,
    anchor: pd.Timestamp,
    onset: pd.Timestamp | None,
    evidence: dict[str, Any],
    lo: pd.Timestamp,
    hi: pd.Timestamp,
) -> list[dict[str, Any]]:
    """The fitted line (log-linear, as the trend detector fits it) from the onset (or a week
    before detection) to detection, and its projection on to the SLO breach."""
    week = pd.Timedelta(days=7)

    def at(t: pd.Timestamp) -> float:
        return current * (1 + rate) ** ((t - anchor) / week)

    begin = max(lo, onset if onset is not None else anchor - week)
    rows: list[dict[str, Any]] = []
    if begin < anchor:
        rows.append({"kind": "fit", "t_iso": _wall_iso(begin), "t2_iso": _wall_iso(anchor),
                     "y0": at(begin), "y1": current,
                     "label": f"fitted: {rate * 100:+.0f}%/week"})  # fmt: skip
    breach = evidence.get("breach") if isinstance(evidence.get("breach"), dict) else None
    days = _num(breach.get("days")) if breach else None
    slo = _num(evidence.get("slo"))
    if days is not None and days > 0 and slo is not None:
        when = anchor + pd.Timedelta(days=days)
        shown = min(when, hi + (hi - lo) * MAX_AHEAD)
        rows.append({"kind": "projection", "t_iso": _wall_iso(anchor), "t2_iso": _wall_iso(shown),
                     "y0": current, "y1": at(shown), "until": shown.floor("s").to_pydatetime(),
                     "label": f"projected to the {value_text(metric, slo)} SLO on {_wall_text(when)}",
                     "breach_text": f"SLO breach ~{_wall_text(when, '%a %d %b')}"})  # fmt: skip
    elif anchor < hi:
        rows.append({"kind": "projection", "t_iso": _wall_iso(anchor), "t2_iso": _wall_iso(hi),
                     "y0": current, "y1": at(hi), "label": f"{rate * 100:+.0f}%/week, projected"})  # fmt: skip
    return rows


def _evidence(value: object) -> dict[str, Any]:
    if isinstance(value, dict):
        return value
    if isinstance(value, str) and value:
        try:
            data = json.loads(value)
        except ValueError:
            return {}
        return data if isinstance(data, dict) else {}
    return {}


def _num(value: object) -> float | None:
    try:
        out = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return out if np.isfinite(out) else None


def _ts(value: object) -> pd.Timestamp | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):  # type: ignore[arg-type]
        return None
    try:
        stamp = pd.Timestamp(value)  # type: ignore[arg-type]
    except ValueError:
        return None
    return stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp.tz_convert("UTC")


def _onset(finding: pd.Series) -> pd.Timestamp | None:
    """When the change began: the finding's onset where the store has it, else first seen."""
    return _ts(finding.get("onset")) or _ts(finding.get("first_seen"))


def onsets(findings: pd.DataFrame) -> pd.Series:
    """Each finding's onset (UTC), falling back to first seen where none is recorded."""
    first = pd.to_datetime(findings["first_seen"], utc=True)
    if "onset" not in findings.columns:
        return first
    return pd.to_datetime(findings["onset"], utc=True).fillna(first)


def _wall_text(ts: datetime | pd.Timestamp, fmt: str = TIME_FORMAT) -> str:
    return pd.Timestamp(ts).tz_convert(timezone()).strftime(fmt)


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
    return pd.Timestamp(ts).tz_convert(timezone()).tz_localize(None).isoformat(timespec="seconds")


def _finding_spans(findings: pd.DataFrame, start: datetime, end: datetime) -> pd.DataFrame:
    """Findings overlapping [start, end), shaded from their onset to their resolve."""
    if findings.empty:
        return pd.DataFrame()
    f = findings.copy()
    lo, hi = pd.Timestamp(start), pd.Timestamp(end)
    resolved = pd.to_datetime(f["resolved_at"], utc=True)
    began = onsets(f)
    keep = (began < hi) & (resolved.isna() | (resolved >= lo))
    f, began, resolved = f[keep], began[keep], resolved[keep]
    if f.empty:
        return pd.DataFrame()
    return pd.DataFrame(
        {
            "severity": f["severity"].to_numpy(),
            "summary": f["summary"].to_numpy(),
            "t": _iso(began.clip(lower=lo)),
            "t2": _iso(resolved.fillna(hi).clip(upper=hi)),
            "since": wall_time(began).dt.strftime(TIME_FORMAT).to_numpy(),
            "resolved": wall_time(resolved)
            .dt.strftime(TIME_FORMAT)
            .fillna("still open")
            .to_numpy(),
        }
    )


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
        + (["team"] if group == "team" else [])  # the team's name comes with the fleet rows
    ].copy()
    data["group"] = (
        data[group].map(lambda v: "(none)" if pd.isna(v) else str(v)) if group else "fleet"
    )
    data = data.sort_values(["group", "health_rank", "tier", "integration_id"], na_position="last")
    columns = 40
    data["pos"] = data.groupby("group").cumcount()
    data["col"] = data["pos"] % columns
    data["row"] = data["pos"] // columns
    data["url"] = integration_urls(data["integration_id"])
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


def stale_threshold() -> timedelta:
    """How old a latest value may be before it is marked stale: three of the fastest source's
    intervals, never under 10 minutes (a collector that missed one cycle is not news)."""
    intervals = [s.interval for s in settings().sources if s.enabled]
    return max(timedelta(minutes=10), 3 * min(intervals, default=timedelta(minutes=5)))
