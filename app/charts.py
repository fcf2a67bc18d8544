"""Charts shared by pages: a metric over time with its baseline, findings and SLO; the health
grid; the data-flow graph between systems.

Times are drawn as wall time of the configured zone (naive timestamps, which the browser reads
as they are), so every viewer sees the same clock whatever their browser's zone.
"""

from __future__ import annotations

from datetime import datetime

import altair as alt
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
) -> alt.LayerChart:
    """One metric: the series, last week's same hours behind it (grey, dashed), an SLO line,
    and findings as shaded spans from where they opened to where they resolved (or now)."""
    title, fmt = _value_axis(metric)
    x_scale = alt.Scale(domain=[_wall_iso(start), _wall_iso(end)])
    x = alt.X(
        "t:T", scale=x_scale, title=None, axis=alt.Axis(format=TIME_FORMAT, labelOverlap=True)
    )

    def frame(data: pd.DataFrame, kind: str) -> pd.DataFrame:
        out = pd.DataFrame({"t": wall_time(data["ts"]), "value": data["value"].astype(float)})
        out["series"] = kind
        out["when"] = out["t"].dt.strftime(TIME_FORMAT)
        return out

    lines = pd.concat(
        [frame(baseline, "same hours last week"), frame(series, "this period")], ignore_index=True
    )
    color = alt.Color(
        "series:N",
        scale=alt.Scale(
            domain=["this period", "same hours last week"], range=["#1f77b4", "#b8b8b8"]
        ),
        legend=alt.Legend(orient="top", title=None),
    )
    base_line = (
        alt.Chart(lines)
        .mark_line(strokeWidth=1.4, interpolate="monotone")
        .encode(
            x=x,
            y=alt.Y("value:Q", title=title, axis=alt.Axis(format=fmt)),
            color=color,
            strokeDash=alt.condition(
                alt.datum.series == "same hours last week", alt.value([4, 3]), alt.value([1, 0])
            ),
            tooltip=[
                alt.Tooltip("when:N", title="time"),
                alt.Tooltip("series:N", title=""),
                alt.Tooltip("value:Q", title=title, format=fmt),
            ],
        )
    )
    layers: list[alt.Chart] = []
    spans = _finding_spans(findings, start, end)
    if not spans.empty:
        layers.append(
            alt.Chart(spans)
            .mark_rect(opacity=0.12)
            .encode(
                x=alt.X("t:T", scale=x_scale),
                x2="t2:T",
                color=alt.Color(
                    "severity:N",
                    scale=alt.Scale(
                        domain=list(SEVERITY_COLOR), range=list(SEVERITY_COLOR.values())
                    ),
                    legend=None,
                ),
                tooltip=[
                    alt.Tooltip("severity:N"),
                    alt.Tooltip("summary:N"),
                    alt.Tooltip("opened:N"),
                    alt.Tooltip("resolved:N"),
                ],
            )
        )
        marks = spans.melt(
            id_vars=["severity", "summary", "opened", "resolved"],
            value_vars=["t_open", "t_resolved"],
            var_name="event",
            value_name="at",
        ).dropna(subset=["at"])
        marks["event"] = marks["event"].map({"t_open": "opened", "t_resolved": "resolved"})
        layers.append(
            alt.Chart(marks)
            .mark_rule(strokeWidth=1.5)
            .encode(
                x=alt.X("at:T", scale=x_scale),
                color=alt.condition(
                    alt.datum.event == "resolved",
                    alt.value("#2ca02c"),
                    alt.value(SEVERITY_COLOR["critical"]),
                ),
                strokeDash=alt.condition(
                    alt.datum.event == "resolved", alt.value([2, 2]), alt.value([1, 0])
                ),
                tooltip=[
                    alt.Tooltip("event:N"),
                    alt.Tooltip("severity:N"),
                    alt.Tooltip("summary:N"),
                ],
            )
        )
    layers.append(base_line)
    if slo is not None and not pd.isna(slo):
        rule = pd.DataFrame({"slo": [float(slo)], "label": [f"SLO {_slo_text(metric, slo)}"]})
        slo_chart = alt.Chart(rule)
        layers.append(
            slo_chart.mark_rule(color="#d62728", strokeDash=[6, 3], strokeWidth=1.2).encode(
                y="slo:Q", tooltip=[alt.Tooltip("label:N", title="")]
            )
        )
        layers.append(
            slo_chart.mark_text(align="left", dx=4, dy=-6, color="#d62728", fontSize=11).encode(
                y="slo:Q", x=alt.value(0), text="label:N"
            )
        )
    return alt.layer(*layers).properties(height=height).resolve_scale(color="independent")


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
            "t": wall_time(first.clip(lower=lo)).to_numpy(),
            "t2": wall_time(resolved.fillna(hi).clip(upper=hi)).to_numpy(),
            "t_open": wall_time(first.where(first >= lo)).to_numpy(),
            "t_resolved": wall_time(resolved.where(resolved < hi)).to_numpy(),
            "opened": wall_time(first).dt.strftime(TIME_FORMAT).to_numpy(),
            "resolved": wall_time(resolved)
            .dt.strftime(TIME_FORMAT)
            .fillna("still open")
            .to_numpy(),
        }
    )
    return out


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
