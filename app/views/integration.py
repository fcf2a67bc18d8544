"""One integration (`?integration=ID`): every metric over a range with last week's same hours
behind it, findings marked, SLO lines; its metadata, findings and notification history."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pandas as pd
import streamlit as st

from app import governance, jobs, queries
from app.charts import Panel, metric_panels, onsets, stale_threshold
from app.data import (
    declared_at,
    guarded,
    local,
    local_text,
    notifications_off,
    timezone,
    tz_label,
)
from app.silences import mute_texts
from app.ui import (
    TIME_FORMAT,
    as_date,
    health_md,
    human_age,
    list_text,
    metric_text,
    severity_column,
    show_table,
    tag,
    team_md,
    time_columns,
    told_text,
)
from seamwatch.metrics import METRIC_INFO, METRIC_NAMES, Metric
from seamwatch.timeutil import align, utcnow

RANGES = {
    "6h": timedelta(hours=6),
    "24h": timedelta(hours=24),
    "3d": timedelta(days=3),
    "7d": timedelta(days=7),
    "14d": timedelta(days=14),
    "28d": timedelta(days=28),
    "custom": None,
}
WEEK = timedelta(days=7)

wanted = st.query_params.get("integration")
row_frame = guarded(queries.integration, wanted) if wanted else None

if row_frame is None or row_frame.empty:
    st.title("Integration")
    ids = guarded(queries.integration_ids)
    if not ids:
        st.info(
            "No integrations yet: add inventory files and run `seamwatch run`, or seed the "
            "demo with `seamwatch demo`.",
            icon=":material/info:",
        )
        st.stop()
    if wanted:
        close = [i for i in ids if wanted.lower() in i.lower() or i.lower() in wanted.lower()]
        st.error(
            f"No integration with id `{wanted}`."
            + (f" Did you mean {', '.join(f'`{c}`' for c in close[:5])}?" if close else ""),
            icon=":material/search_off:",
        )
    choice = st.selectbox("Open an integration", ids, index=None, placeholder="type to search")
    if choice:
        st.query_params["integration"] = choice
        st.rerun()
    st.caption("Deep link: `/integration?integration=<id>` opens one directly.")
    st.stop()

info = row_frame.iloc[0]
now = utcnow()
today = now.astimezone(timezone()).date()

st.title(str(info["name"]))
health_slot = st.empty()  # filled once the page's data is read (it depends on the range below)
if not bool(info["inventoried"]):
    st.warning(
        "This integration sends data but is in no inventory file: add it to your team's "
        "inventory so it has an owner, a tier and SLOs.",
        icon=":material/inventory:",
    )

# -- metadata ------------------------------------------------------------------------------


def _text(value: object) -> str:
    if value is None or (not isinstance(value, list | tuple) and pd.isna(value)):
        return "—"
    return str(value)


def _slos(row: pd.Series) -> str:
    parts = []
    if not pd.isna(row["slo_latency_p95_ms"]):
        parts.append(f"p95 ≤ {metric_text('latency_p95_ms', row['slo_latency_p95_ms'])}")
    if not pd.isna(row["slo_error_rate"]):
        parts.append(f"errors ≤ {metric_text('error_rate', row['slo_error_rate'])}")
    return ", ".join(parts) or "none set"


owner = info["owner"] if isinstance(info["owner"], str) else None
place, edit = declared_at(info["origin"], info.get("origin_line"))
left, middle, right = st.columns(3)
with left:
    st.markdown(
        team_md(guarded(queries.team, owner) if owner else None, owner) + "  \n"
        f"**Contacts** {list_text(info['contacts'])}  \n"
        f"**Chat route** {_text(info['chat_route'])}  \n"
        f"**Runbook** "
        + (f"[{info['runbook']}]({info['runbook']})" if isinstance(info["runbook"], str) else "—")
    )
with middle:
    tier = "—" if pd.isna(info["tier"]) else int(info["tier"])
    st.markdown(
        f"**Flow** {_text(info['source_system'])} → {_text(info['target_system'])}  \n"
        f"**Pattern** {_text(info['pattern'])} · **Tier** {tier}  \n"
        f"**Endpoints** {list_text(info['endpoints'])}  \n"
        f"**Contract** {_text(info['contract_spec'])}"
        + (
            f" · schema `{info['contract_schema']}`"
            if isinstance(info["contract_schema"], str)
            else ""
        )
        + (f" · v{info['contract_version']}" if isinstance(info["contract_version"], str) else "")
    )
with right:
    sunset = as_date(info["sunset"])
    due = as_date(info["review_due"])
    lifecycle = _text(info["lifecycle"])
    sunset_text = "—" if sunset is None else f"{sunset:%Y-%m-%d}"
    if sunset is not None and sunset < today and lifecycle != "retired":
        sunset_text += " :red[**past sunset**]"
    review = "—" if due is None else f"due {due:%Y-%m-%d}"
    if due is not None and due < today:
        review += f" :red[**overdue by {(today - due).days} d**]"
    elif due is not None and (due - today).days <= 30:
        review += " :orange[**due soon**]"
    st.markdown(
        f"**Lifecycle** {lifecycle} · **Sunset** {sunset_text}  \n"
        f"**Last review** {as_date(info['last_review']) or '—'} · {review}  \n"
        f"**SLOs** {_slos(info)}  \n"
        f"**Tags** {list_text(info['tags'])}"
    )
if isinstance(info["description"], str):
    st.markdown(f"> {info['description']}")
if bool(info["inventoried"]):
    declared = st.container(horizontal=True, vertical_alignment="center")
    declared.caption(f"Declared in `{place}`")
    if edit:
        declared.link_button("Edit in your repository", edit, icon=":material/edit:")
    else:
        declared.caption(
            "Set `[app] repo_url` (e.g. `https://git.example.com/inv/-/blob/main/{path}#L{line}`)"
            " for an edit link."
        )

# -- charts --------------------------------------------------------------------------------

st.subheader("Metrics")
controls = st.columns([4, 3, 2])
with controls[0]:
    span_name = (
        st.segmented_control(
            "Range", list(RANGES), default="7d", key="range", bind="query-params", required=True
        )
        or "7d"
    )
if RANGES[span_name] is None:
    with controls[1]:
        local_today = now.astimezone(timezone()).date()
        picked = st.date_input(
            f"From – to ({tz_label()})",
            (local_today - timedelta(days=7), local_today),
            max_value=local_today,
        )
    if not isinstance(picked, tuple) or len(picked) != 2:
        st.info("Pick the last day of the range too.")
        st.stop()
    start = datetime.combine(picked[0], time.min, timezone())
    end = min(datetime.combine(picked[1] + timedelta(days=1), time.min, timezone()), now)
else:
    end = now
    start = now - RANGES[span_name]
with controls[2]:
    show_baseline = st.toggle("Same hours last week", value=True, help="drawn grey and dashed")

resolution = queries.pick_resolution(start, end, now)
# the query window is widened to whole steps so reruns within a step reuse the cached rows
step = max(resolution.step, timedelta(minutes=1))
q_start, q_end = align(start, step), align(end, step) + step
data = guarded(queries.integration_data, wanted, q_start, q_end, resolution, show_baseline)
history, last_week, found = data["history"], data["last_week"], data["findings"]
health_row = data["health"]
health = health_row["health"].iloc[0] if not health_row.empty else None
reason = health_row["reason"].iloc[0] if not health_row.empty else None
health_slot.caption(
    f"`{wanted}` · {health_md(health)}" + (f" — {reason}" if isinstance(reason, str) else "")
)
metric_names = [m for m in METRIC_NAMES if m in set(history["metric"])]
st.caption(
    f"{local_text(start)} – {local_text(end)} {tz_label()} · {resolution.name} resolution"
    + ("" if resolution is queries.RAW else " (means)")
    + " · shaded: findings, from when the change began to when it resolved; point at a"
    " chart to read every metric at that time"
)
if not metric_names:
    st.info(
        "No samples in this range. "
        + (
            "This integration has never reported: check its `collect` entries and the Sources page."
            if health == "unmonitored"
            else "Try a longer range."
        ),
        icon=":material/info:",
    )
else:
    slos = {"latency_p95_ms": info["slo_latency_p95_ms"], "error_rate": info["slo_error_rate"]}
    latest = data["latest"].set_index("metric") if not data["latest"].empty else None
    stale_after = stale_threshold()
    panels, headline = [], []
    for metric in metric_names:
        current = history[history["metric"] == metric]
        value, stale_since = None, None
        if latest is not None and metric in latest.index:
            value = latest.loc[metric, "value"]
            age = latest.loc[metric, "age_seconds"]
            if not pd.isna(age) and age > stale_after.total_seconds():
                stale_since = pd.Timestamp(latest.loc[metric, "ts"]).to_pydatetime()
        label = METRIC_INFO[Metric(metric)].label
        text = f"**{label}** {metric_text(metric, value)}"
        if stale_since is not None:
            text += (
                f" :violet[stale, last sample {human_age((now - stale_since).total_seconds())} ago]"
            )
        headline.append(text)
        panels.append(
            Panel(
                metric,
                current,
                last_week[last_week["metric"] == metric],
                found[found["metric"] == metric],
                slo=slos.get(metric),
                stale_since=stale_since,
            )
        )
    st.markdown("Latest: " + " · ".join(headline))
    st.vega_lite_chart(metric_panels(panels, start=start, end=end), width="content")

# -- findings and notifications -----------------------------------------------------------

quiet = notifications_off()
sent = data["notifications"]
st.subheader("Findings")
if found.empty:
    st.caption("No findings: the detectors have not flagged anything on this integration.")
else:
    table = local(found.assign(since=onsets(found)), "since", "last_seen", "resolved_at")
    table["severity"] = tag(table["severity"])
    table["age"] = table["age_seconds"].map(human_age)
    table["muted"] = mute_texts(found, data["silences"]).where(found["status"] == "open")
    table["told"] = [told_text(sent, fid, quiet) for fid in found["finding_id"]]
    columns = ["status", "severity", "metric", "summary", "muted", "told", "since",
               "resolved_at", "age", "detector"]  # fmt: skip
    show_table(
        table[columns],
        hide_index=True,
        column_config={
            **time_columns("since", "resolved_at"),
            "resolved_at": st.column_config.DatetimeColumn("resolved", format=TIME_FORMAT),
            "summary": st.column_config.TextColumn("summary", width="large"),
            "muted": st.column_config.TextColumn("muted", width="medium"),
            "told": st.column_config.TextColumn("notified", width="medium"),
            "severity": severity_column(),
        },
    )

jobs.runs_panel(str(info["integration_id"]), info["pattern"])

st.subheader("Notifications")
if quiet:
    st.warning(quiet, icon=":material/notifications_off:")
if sent.empty:
    st.caption(
        "No notifications about this integration yet."
        + ("" if quiet else " Messages appear here once a finding is routed to a channel.")
    )
else:
    shown = local(sent, "created_at", "sent_at")
    show_table(
        shown[
            [
                "created_at",
                "event",
                "channel",
                "status",
                "attempts",
                "sent_at",
                "last_error",
                "silenced_by",
            ]
        ],
        hide_index=True,
        column_config={
            **time_columns("created_at", "sent_at"),
            "created_at": st.column_config.DatetimeColumn("planned", format=TIME_FORMAT),
            "sent_at": st.column_config.DatetimeColumn("sent", format=TIME_FORMAT),
            "last_error": st.column_config.TextColumn("last error"),
            "silenced_by": st.column_config.TextColumn("muted by"),
        },
    )

# -- governance: scorecard checks and contract history (app/governance.py) -------------------
governance.integration_panel(str(info["integration_id"]))
