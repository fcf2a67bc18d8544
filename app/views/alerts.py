"""Alerts: who is told, and was it delivered — channels (kind and name, never the URL), routes
in order, maintenance windows, active silences, recent messages with their status, and a
"send a test message" request the daemon's notify job answers."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from app import queries
from app.data import guarded, local, local_text, notifications_off, settings, store, tz_label
from app.ui import TIME_FORMAT, list_text, show_table, time_columns
from seamwatch.durations import format_duration
from seamwatch.errors import SeamwatchError
from seamwatch.mutes import windows_from_config
from seamwatch.silences import describe, matchers_of
from seamwatch.test_requests import request_test
from seamwatch.timeutil import utcnow

STATUS_HELP = {
    "sent": "delivered to the channel",
    "failed": "not delivered yet; retried at the next cycle",
    "undelivered": "given up (permanent error, or retried too long)",
    "muted": "not sent: a silence or maintenance window muted it",
    "pending": "being sent",
    "dry-run": "planned only",
}

st.title("Alerts")
alerts: dict[str, Any] = settings().alerts
channels: dict[str, Any] = alerts.get("channels") or {}
quiet = notifications_off()
if quiet:
    st.warning(quiet, icon=":material/notifications_off:")
else:
    st.caption(
        f"Findings are routed to chat channels by the daemon (`seamwatch run`) every "
        f"{alerts.get('interval', '1m')}. Times in {tz_label()}."
    )

# -- channels ------------------------------------------------------------------------------

st.subheader("Channels")
if not channels:
    st.caption("None configured.")
else:
    st.table(
        pd.DataFrame(
            [
                {
                    "channel": name,
                    "kind": str(block.get("kind", "—")) if isinstance(block, dict) else "—",
                    "at most one message every": (
                        str(block.get("min_interval", "the kind's default"))
                        if isinstance(block, dict)
                        else "—"
                    ),
                }
                for name, block in sorted(channels.items())
            ]
        ),
        hide_index=True,
        width="content",
    )
    st.caption("Webhook URLs and keys are secrets: they are never shown here.")

# -- routes --------------------------------------------------------------------------------


def _match_text(match: object) -> str:
    if not isinstance(match, dict) or not match:
        return "every finding"
    return describe(matchers_of(match)) or "every finding"


st.subheader("Routes")
routes = alerts.get("routes") or []
route_rows = [
    {
        "order": index + 1,
        "route": route.get("name") or "—",
        "when": _match_text(route.get("match")),
        "sends to": list_text(route.get("channels") or []),
        "then": "goes on to the next route" if route.get("continue") else "stops here",
    }
    for index, route in enumerate(routes)
    if isinstance(route, dict)
]
default = (alerts.get("default") or {}).get("channels") or []
route_rows.append(
    {
        "order": len(route_rows) + 1,
        "route": "default",
        "when": "no route above matched",
        "sends to": list_text(default) if default else "— (nobody)",
        "then": "",
    }
)
chat_route = alerts.get("chat_route", "add")
st.caption(
    "The first matching route wins unless it says `continue`. An integration's inventory "
    "`chat_route` naming a channel "
    + {
        "add": "is told as well.",
        "override": "replaces the routes.",
        "ignore": 'is ignored (`chat_route = "ignore"`).',
    }.get(str(chat_route), f"is handled as {chat_route!r}.")
)
st.table(pd.DataFrame(route_rows), hide_index=True, width="content")

# -- maintenance windows and silences ------------------------------------------------------

st.subheader("Maintenance windows")
now = utcnow()
try:
    windows = windows_from_config(alerts)
except ValueError as exc:
    windows = []
    st.error(f"config.toml: {exc} (`seamwatch check` says more)", icon=":material/error:")
if not windows:
    st.caption("None configured (`[[alerts.maintenance]]` in config.toml).")
else:
    rows = []
    for window in windows:
        on, upcoming = window.current(now), window.next(now)
        rows.append(
            {
                "window": window.name,
                "mutes": describe(window.matchers) if window.matchers else "everything",
                "now": f"on until {local_text(on[1])}" if on else "off",
                "next start": local_text(upcoming[0]) if upcoming else "—",
                "lasts": format_duration(window.duration),
                "comment": window.comment or "—",
            }
        )
    starts = [(w.next(now), w.name) for w in windows]
    upcoming_all = sorted((span[0], name) for span, name in starts if span is not None)
    if upcoming_all:
        first, name = upcoming_all[0]
        st.markdown(f"**Next:** {name} starts {local_text(first)} {tz_label()}")
    st.table(pd.DataFrame(rows), hide_index=True, width="content")

st.subheader("Active silences")
silences = guarded(queries.silences, True)
if silences.empty:
    st.caption("No silence is active.")
else:
    st.table(
        pd.DataFrame(
            {
                "mutes": silences["matchers"].map(lambda m: describe(matchers_of(m))),
                "by": silences["author"],
                "why": silences["comment"],
                "from": silences["starts_at"].map(local_text),
                "until": silences["ends_at"].map(local_text),
            }
        ),
        hide_index=True,
        width="content",
    )
st.page_link("views/findings.py", label="Silence a finding", icon=":material/notifications_off:")

# -- send a test message -------------------------------------------------------------------

st.subheader("Send a test message")
if not channels:
    st.caption("No channel to test: configure one first.")
else:
    st.caption(
        "The dashboard holds no webhook secrets: it asks the daemon (`seamwatch run`), whose "
        "notify job sends the message at its next cycle and records the result below."
    )
    with st.form("test-message", border=False):
        cols = st.columns([2, 2, 1], vertical_alignment="bottom")
        channel = cols[0].selectbox("Channel", sorted(channels))
        who = cols[1].text_input("Your name", placeholder="who asks (shown in the log)")
        asked = cols[2].form_submit_button("Send a test message", icon=":material/send:")
    if asked:
        try:
            request_test(store(), str(channel), who, utcnow())
            st.cache_data.clear()
            st.success(
                f"Asked the daemon to send a test message to **{channel}**.",
                icon=":material/send:",
            )
        except SeamwatchError as exc:
            st.error(str(exc), icon=":material/error:")

tests = guarded(queries.test_requests)
if not tests.empty:
    last = tests.iloc[0]
    outcome = {
        "pending": "waiting for the daemon to send it",
        "sent": "sent: the channel works",
        "undelivered": f"not delivered: {last['error']}",
        "failed": f"not delivered: {last['error']}",
        "unknown channel": f"not sent: {last['error']}",
    }.get(str(last["status"]), str(last["status"]))
    st.markdown(
        f"**Last test** to **{last['channel']}**, asked by {last['requested_by']} "
        f"{local_text(last['requested_at'])}: {outcome}"
        + (f" ({local_text(last['answered_at'])})" if not pd.isna(last["answered_at"]) else "")
    )
    shown = local(tests, "requested_at", "answered_at")
    shown["status"] = [
        "waiting for the daemon" if s == "pending" else s for s in shown["status"].tolist()
    ]
    shown["error"] = shown["error"].fillna("—")
    show_table(
        shown[["requested_at", "channel", "requested_by", "status", "answered_at", "error"]],
        hide_index=True,
        column_config={
            **time_columns("requested_at", "answered_at"),
            "requested_at": st.column_config.DatetimeColumn("asked", format=TIME_FORMAT),
            "answered_at": st.column_config.DatetimeColumn("answered", format=TIME_FORMAT),
            "requested_by": st.column_config.TextColumn("by"),
        },
    )
    if (tests["status"] == "pending").any():
        st.caption("Waiting requests are answered once `seamwatch run` (or `up`) is running.")

# -- recent messages -----------------------------------------------------------------------

st.subheader("Recent messages")
messages = guarded(queries.recent_messages)
if messages.empty:
    st.caption(
        "No message yet." + (f" {quiet}" if quiet else " Messages appear once a finding is routed.")
    )
else:
    counts = messages["status"].value_counts()
    st.caption(
        " · ".join(f"{n} {s} ({STATUS_HELP.get(s, s)})" for s, n in counts.items())
        + f" — the last {len(messages)}"
    )
    shown = local(messages, "created_at", "sent_at")
    for column in ("kind", "what", "last_error", "muted_by"):
        shown[column] = shown[column].fillna("—")
    show_table(
        shown[["created_at", "channel", "kind", "event", "what", "status", "attempts",
               "sent_at", "last_error", "muted_by"]],
        hide_index=True,
        column_config={
            **time_columns("created_at", "sent_at"),
            "created_at": st.column_config.DatetimeColumn("planned", format=TIME_FORMAT),
            "sent_at": st.column_config.DatetimeColumn("sent", format=TIME_FORMAT),
            "what": st.column_config.TextColumn("message", width="large"),
            "last_error": st.column_config.TextColumn("last error"),
            "muted_by": st.column_config.TextColumn("muted by"),
        },
    )  # fmt: skip
