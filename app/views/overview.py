"""Overview: the fleet at a glance — what is unhealthy, who owns it, since when; worst first."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from app import queries
from app.charts import health_grid
from app.data import guarded, local, settings, tz_label
from app.silences import mute_texts, muter_now
from app.ui import (
    HEALTHS,
    INTEGRATION_PAGE,
    NULL,
    apply_filter,
    health_column,
    health_md,
    human_age,
    human_ages,
    integration_urls,
    metric_texts,
    multiselect_filter,
    show_table,
    tag,
)
from seamwatch.timeutil import utcnow

GROUPS = {
    "none": None,
    "team": "team",
    "owner": "owner",
    "tier": "tier",
    "pattern": "pattern",
    "lifecycle": "lifecycle",
}
ATTENTION_LIMIT = 12

st.title("Fleet overview")

fleet_all = guarded(queries.overview)[0]
if fleet_all.empty:
    st.info(
        "**No integrations yet.** List your integrations in inventory files (config.toml "
        "`[inventory] paths`, see the README's *Adding an integration*), then run "
        "`seamwatch run` to start collecting. To look around first, `seamwatch demo` seeds "
        "weeks of a simulated fleet.",
        icon=":material/info:",
    )
    st.stop()

with st.container(horizontal=True):
    owners = multiselect_filter("Owner", fleet_all, "owner", "owner")
    tiers = multiselect_filter("Tier", fleet_all, "tier", "tier")
    patterns = multiselect_filter("Pattern", fleet_all, "pattern", "pattern")
    lifecycles = multiselect_filter("Lifecycle", fleet_all, "lifecycle", "lifecycle")
    healths = st.multiselect(
        "Health",
        list(HEALTHS),
        key="health",
        placeholder="all",
        bind="query-params",
    )
    group_by = st.selectbox("Group by", list(GROUPS), key="group", bind="query-params")


def filtered(frame: pd.DataFrame) -> pd.DataFrame:
    """The fleet narrowed by the filters above."""
    for column, chosen in (
        ("owner", owners),
        ("tier", tiers),
        ("pattern", patterns),
        ("lifecycle", lifecycles),
        ("health", healths),
    ):
        frame = apply_filter(frame, column, chosen)
    return frame


@st.fragment(run_every=settings().app.refresh)
def fleet_view() -> None:
    """Everything below the filters; reruns on its own every `[app] refresh` while open."""
    whole, detection_has_run, active = guarded(queries.overview)
    fleet = filtered(whole)
    st.caption(
        f"{len(fleet)} of {len(fleet_all)} integrations · updated "
        f"{local(pd.DataFrame({'t': [utcnow()]}), 't')['t'][0]:%H:%M:%S} {tz_label()} · "
        f"refreshes every {int(settings().app.refresh.total_seconds())} s"
    )
    if not detection_has_run:
        st.info(
            "**Detection is still running.** Samples are arriving, but the detectors have not "
            "finished their first pass yet, so nothing below is judged: an integration shows "
            "`ok` only because no finding exists yet. This page refreshes by itself.",
            icon=":material/hourglass_top:",
        )
    counts = fleet["health"].value_counts()
    for column, health in zip(st.columns(len(HEALTHS)), HEALTHS, strict=True):
        column.metric(health_md(health), int(counts.get(health, 0)))

    if fleet.empty:
        st.info("No integration matches these filters.", icon=":material/filter_alt_off:")
        return

    attention = fleet[fleet["health"].isin(["failing", "no data", "degrading"])]
    # one pass over the open findings for both the list below and the table
    muted = muted_integrations(
        sorted(
            {*attention["integration_id"], *fleet.loc[fleet["open_findings"] > 0, "integration_id"]}
        ),
        active,
    )
    st.subheader("Needs attention")
    if attention.empty:
        st.success("Nothing is failing or degrading.", icon=":material/check_circle:")
    else:
        for _, row in attention.head(ATTENTION_LIMIT).iterrows():
            since = (
                ""
                if pd.isna(row["since"])
                else f" · since {human_age((utcnow() - row['since']).total_seconds())}"
            )
            left, right = st.columns([2, 5], vertical_alignment="center")
            left.page_link(
                INTEGRATION_PAGE,
                label=f"{health_md(row['health']).split(' ')[0]} {row['name']}",
                query_params={"integration": row["integration_id"]},
            )
            why = muted.get(row["integration_id"])
            right.markdown(
                f"{_md(_or(row['reason'], row['health']))}  \n"
                f":gray[{_md(_or(row['team'], 'no owner'))} · tier {_tier(row['tier'])}{since}]"
                + (f"  \n:violet[:material/notifications_off: {_md(why)}]" if why else "")
            )
        if len(attention) > ATTENTION_LIMIT:
            st.caption(f"… and {len(attention) - ATTENTION_LIMIT} more in the table below.")

    st.subheader("Health grid")
    st.caption("One square per integration, worst first; click a square to open it.")
    st.altair_chart(health_grid(fleet, GROUPS[group_by]), width="content")

    st.subheader("All integrations")
    table = local(fleet, "since")
    table["open"] = integration_urls(table["integration_id"])
    table["health"] = tag(table["health"])
    table["owner"] = table["team"]  # the team's name where a [[team]] declares it, else the slug
    table["reason"] = table["reason"].fillna("")
    table["muted"] = table["integration_id"].map(muted).astype(object)
    table["since"] = table["since"].dt.strftime("%a %d %b %H:%M")
    ages = table["last_sample_age_seconds"]
    table["last sample"] = (human_ages(ages) + " ago").where(ages.notna(), NULL)
    table["p95"] = metric_texts("latency_p95_ms", table["latency_p95_ms"])
    table["errors"] = metric_texts("error_rate", table["error_rate"])
    table["throughput"] = metric_texts("throughput", table["throughput"])
    table["DLQ"] = metric_texts("dlq_depth", table["dlq_depth"])
    columns = [
        "open",
        "health",
        "name",
        "owner",
        "tier",
        "pattern",
        "lifecycle",
        "reason",
        "muted",
        "since",
        "open_findings",
        "last sample",
        "p95",
        "errors",
        "throughput",
        "DLQ",
    ]
    column_config = {
        "open": st.column_config.LinkColumn(
            "integration", display_text=r"integration=(.*)$", width="medium"
        ),
        "open_findings": st.column_config.NumberColumn("open findings"),
        "tier": st.column_config.NumberColumn("tier", format="%d"),
        "reason": st.column_config.TextColumn("reason", width="large"),
        "muted": st.column_config.TextColumn("muted", width="medium"),
        "health": health_column(),
    }
    group = GROUPS[group_by]
    if group:
        for value, part in table.groupby(table[group].fillna("(none)").astype(str), sort=True):
            worst = part["health"].iloc[0][0]
            links = ""
            if group == "team" and isinstance(part["team_chat"].iloc[0], str):
                links += f" · [chat]({part['team_chat'].iloc[0]})"
            if group == "team" and isinstance(part["team_oncall"].iloc[0], str):
                links += f" · [on-call]({part['team_oncall'].iloc[0]})"
            st.markdown(
                f"**{group} {value}** · {len(part)} integrations · worst: {health_md(worst)}"
                + links
            )
            show_table(part[columns], hide_index=True, column_config=column_config)
    else:
        show_table(
            table[columns],
            hide_index=True,
            column_config=column_config,
            height=min(40 + 35 * len(table), 600),
        )


def muted_integrations(ids: list[str], active: pd.DataFrame) -> dict[str, str]:
    """Integrations whose every open finding is muted (silence or maintenance), with why;
    `active` are the active silences (rows of v_silences)."""
    if not ids:
        return {}
    now = utcnow()
    muter = muter_now(active, now=now)
    if not muter.silences and not muter.windows:  # nothing mutes now: no findings to read
        return {}
    found = guarded(queries.findings, since=now)
    found = found[(found["status"] == "open") & found["integration_id"].isin(ids)]
    if found.empty:
        return {}
    why = mute_texts(found, active, windows=[w for w, _ in muter.windows], now=now)
    every = why.notna().groupby(found["integration_id"]).all()  # no loop per integration
    muted = found["integration_id"].map(every).to_numpy(dtype=bool)
    if not muted.any():
        return {}
    reasons = pd.DataFrame({"iid": found["integration_id"], "why": why})[muted].drop_duplicates()
    by = reasons.groupby("iid", sort=True)["why"]
    first, count = by.first(), by.size()
    return {
        str(iid): text + (f" (+{count[iid] - 1} more)" if count[iid] > 1 else "")
        for iid, text in first.items()
    }


def _md(text: str) -> str:
    """Text safe inside Markdown (no accidental emphasis or links)."""
    return (
        str(text)
        .replace("\\", "\\\\")
        .replace("*", "\\*")
        .replace("_", "\\_")
        .replace("[", "\\[")
        .replace("$", "\\$")
    )


def _or(value: object, default: str) -> str:
    return value if isinstance(value, str) and value else default


def _tier(value: object) -> str:
    return "—" if value is None or pd.isna(value) else str(int(value))


fleet_view()
