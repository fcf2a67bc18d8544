"""Findings: open and recent findings with severity, summary, age and owner; silence from here."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import streamlit as st

from app import queries
from app.auth import current_user
from app.data import guarded, local, store, timezone, tz_label
from app.silences import mute_texts
from app.ui import (
    SEVERITIES,
    apply_filter,
    csv_download,
    human_age,
    integration_url,
    multiselect_filter,
    search,
    severity_column,
    severity_md,
    show_table,
    tag,
    time_columns,
)
from seamwatch.errors import SeamwatchError
from seamwatch.silences import (
    SilenceError,
    add_silence,
    describe,
    expire_silence,
    matchers_of,
)
from seamwatch.timeutil import utcnow

WINDOWS = {
    "open": None,
    "24h": timedelta(days=1),
    "7d": timedelta(days=7),
    "30d": timedelta(days=30),
}
SILENCE_FOR = {
    "1 hour": timedelta(hours=1),
    "4 hours": timedelta(hours=4),
    "1 day": timedelta(days=1),
    "3 days": timedelta(days=3),
    "1 week": timedelta(days=7),
    "until…": None,
}

st.title("Findings")
now = utcnow()
if flash := st.session_state.pop("flash", None):
    st.success(flash, icon=":material/notifications_off:")

window = (
    st.segmented_control(
        "Open findings only, or also those active in the last",
        list(WINDOWS),
        default="7d",
        key="window",
        bind="query-params",
        required=True,
    )
    or "7d"
)
span = WINDOWS[window]
found = guarded(queries.findings, since=now - span if span else now)
if window == "open":
    found = found[found["status"] == "open"]
active_silences = guarded(queries.silences, True)

if found.empty and window == "open":
    st.success(
        "No open findings. The detectors flag slow degradation (latency creep, error drift, "
        "a DLQ that never drains, throughput halving) here as soon as they see it.",
        icon=":material/check_circle:",
    )
elif found.empty:
    st.info(
        "No findings in this window. Findings appear once detectors run over collected data "
        "(`seamwatch run` runs them on a schedule).",
        icon=":material/info:",
    )

if not found.empty:
    muted_why = mute_texts(found, active_silences)
    found = found.assign(silenced=muted_why.notna(), muted=muted_why.fillna(""))
    with st.container(horizontal=True):
        severities = st.multiselect(
            "Severity",
            list(SEVERITIES),
            key="severity",
            placeholder="all",
            bind="query-params",
        )
        owners = multiselect_filter("Owner", found, "owner", "owner")
        detectors = multiselect_filter("Detector", found, "detector", "detector")
        hide_silenced = st.toggle("Hide silenced", key="hide_silenced")
    text = st.text_input("Search", key="q", placeholder="integration, summary, metric …")
    shown = apply_filter(found, "severity", severities)
    shown = apply_filter(shown, "owner", owners)
    shown = apply_filter(shown, "detector", detectors)
    if hide_silenced:
        shown = shown[~shown["silenced"]]
    shown = search(
        shown, text, ["integration_id", "name", "summary", "metric", "detector", "owner"]
    )

    counts = shown[shown["status"] == "open"]["severity"].value_counts()
    cols = st.columns(4)
    for col, severity in zip(cols, SEVERITIES, strict=False):
        col.metric(f"open {severity_md(severity)}", int(counts.get(severity, 0)))
    cols[3].metric("silenced", int(shown["silenced"].sum()))

    table = local(shown, "first_seen", "last_seen", "resolved_at")
    table["open"] = table["integration_id"].map(integration_url)
    table["severity"] = tag(table["severity"])
    table["age"] = table["age_seconds"].map(human_age)
    columns = [
        "status",
        "severity",
        "silenced",
        "open",
        "summary",
        "muted",
        "metric",
        "detector",
        "owner",
        "age",
        "first_seen",
        "last_seen",
        "resolved_at",
    ]
    st.caption(f"{len(shown)} findings · times in {tz_label()} · select one to silence it")
    picked = show_table(
        table[columns],
        hide_index=True,
        on_select="rerun",
        selection_mode="single-row",
        key="findings_table",
        column_config={
            **time_columns("first_seen", "last_seen", "resolved_at"),
            "open": st.column_config.LinkColumn("integration", display_text=r"integration=(.*)$"),
            "summary": st.column_config.TextColumn(width="large"),
            "silenced": st.column_config.CheckboxColumn("muted", width="small"),
            "muted": st.column_config.TextColumn("muted by", width="medium"),
            "severity": severity_column(),
        },
    )
    csv_download(shown.drop(columns=["evidence"], errors="ignore"), "seamwatch-findings.csv")

    rows = picked.selection.rows if picked is not None else []
    candidates = shown[shown["status"] == "open"]
    st.subheader("Silence a finding")
    if candidates.empty:
        st.caption("Only open findings can be silenced; none is shown.")
    else:
        ids = candidates["finding_id"].tolist()
        selected = shown.iloc[rows[0]]["finding_id"] if rows else None
        # A keyed selectbox keeps its own state and ignores `index` after its first run, so a
        # newly selected row is written into that state (once per selection, so picking
        # another finding in the box afterwards still works).
        if selected != st.session_state.get("silence_picked_row"):
            st.session_state["silence_picked_row"] = selected
            if selected in ids:
                st.session_state["silence_finding"] = selected
        labels = {
            fid: f"{iid} — {summary}"
            for fid, iid, summary in zip(
                candidates["finding_id"],
                candidates["integration_id"],
                candidates["summary"],
                strict=True,
            )
        }
        if st.session_state.get("silence_finding") not in ids:
            st.session_state["silence_finding"] = None
        chosen = st.selectbox(
            "Finding",
            ids,
            index=None,
            format_func=labels.get,
            key="silence_finding",
            placeholder="select a row above, or pick one here",
        )
    if not candidates.empty and chosen:
        finding = candidates[candidates["finding_id"] == chosen].iloc[0]
        # Not a st.form: the "until" fields appear only once "until…" is chosen, which needs
        # the choice to rerun the page.
        with st.container(border=True):
            scope = st.radio(
                "Mute",
                ["this finding", "everything on this integration"],
                horizontal=True,
                help="'this finding' matches integration, metric and detector",
                key="silence_scope",
            )
            length = st.segmented_control(
                "For", list(SILENCE_FOR), default="4 hours", key="silence_for"
            )
            until_day, until_time = None, time(9, 0)
            if length == "until…":
                day_col, time_col = st.columns(2)
                until_day = day_col.date_input(
                    f"until (day, {tz_label()})",
                    value=(now + timedelta(days=1)).astimezone(timezone()).date(),
                    key="silence_until_day",
                )
                until_time = time_col.time_input(
                    "until (time)", value=time(9, 0), key="silence_until_time"
                )
            comment = st.text_input(
                "Why", placeholder="e.g. vendor maintenance, fix deploying Tue", key="silence_why"
            )
            signed_in = current_user()
            author = signed_in or st.text_input(
                "Who", placeholder="your name or e-mail", key="silence_who"
            )
            if signed_in:
                st.caption(f"as {signed_in}")
            if st.button(
                "Silence",
                type="primary",
                icon=":material/notifications_off:",
                disabled=not length,
                key="silence_submit",
            ):
                matchers = {"integration_id": str(finding["integration_id"])}
                if scope == "this finding":
                    matchers |= {
                        "metric": str(finding["metric"]),
                        "detector": str(finding["detector"]),
                    }
                delta = SILENCE_FOR.get(length or "")
                started = utcnow()
                if delta is not None or until_day is None:
                    ends = started + (delta or SILENCE_FOR["4 hours"])  # type: ignore[operator]
                else:
                    ends = datetime.combine(until_day, until_time, timezone())
                try:
                    add_silence(
                        store(),
                        matchers,
                        ends_at=ends,
                        comment=comment,
                        author=author or "",
                        now=started,
                    )
                except SilenceError as exc:
                    st.error(f"Not silenced: {exc}.", icon=":material/error:")
                except SeamwatchError as exc:
                    st.error(f"Could not save the silence: {exc}", icon=":material/error:")
                else:
                    st.cache_data.clear()
                    st.session_state["flash"] = (
                        f"Silenced {describe(matchers)} until "
                        f"{ends.astimezone(timezone()):%a %d %b %H:%M} {tz_label()}."
                    )
                    st.rerun()

st.subheader("Active silences")
if active_silences.empty:
    st.caption("No active silences.")
else:
    for _, silence in local(active_silences, "ends_at", "created_at").iterrows():
        left, right = st.columns([6, 1], vertical_alignment="center")
        left.markdown(
            f":material/notifications_off: **{describe(matchers_of(silence['matchers']))}** until "
            f"{silence['ends_at']:%a %d %b %H:%M} — {silence['comment']} "
            f":gray[({silence['author']}, {silence['created_at']:%d %b %H:%M})]"
        )
        if right.button("Expire", key=f"expire-{silence['silence_id']}"):
            try:
                expire_silence(store(), str(silence["silence_id"]), utcnow())
            except SeamwatchError as exc:
                st.error(f"Could not expire the silence: {exc}")
            else:
                st.cache_data.clear()
                st.rerun()
