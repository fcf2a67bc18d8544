"""Silences on the dashboard's pages: which findings are muted now, and why, in the reader's
zone. Creating and expiring silences is the spine's (`seamwatch.silences`), shared with
`seamwatch silence` and judged by the alerts stage with the same rule (`seamwatch.mutes`), so
what the dashboard marks silenced is what alerts mute.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd

from app.data import local_text, settings, tz_label
from seamwatch.errors import SeamwatchError
from seamwatch.findings import findings_from_rows
from seamwatch.mutes import Muter, Window, silences_from_rows, windows_from_config
from seamwatch.timeutil import utcnow


def silenced_mask(findings: pd.DataFrame, active: pd.DataFrame) -> pd.Series:
    """Which findings (rows of v_findings) an active silence or maintenance window mutes now,
    by the alerts stage's rule (`seamwatch.mutes`)."""
    return mute_texts(findings, active).notna()


def muter_now(
    active: pd.DataFrame, *, windows: list[Window] | None = None, now: datetime | None = None
) -> Muter:
    """The alerts stage's judge over the active silences (rows of v_silences) and the
    configured maintenance windows, at `now`; it keeps only the windows open then."""
    if windows is None:
        try:
            windows = windows_from_config(settings().alerts)
        except (ValueError, SeamwatchError):
            windows = []  # `seamwatch check` names the broken block; the page still shows
    rows_active = active.to_dict("records") if not active.empty else []
    return Muter(silences_from_rows(rows_active), windows, now or utcnow())


def mute_texts(
    findings: pd.DataFrame,
    active: pd.DataFrame,
    *,
    windows: list[Window] | None = None,
    now: datetime | None = None,
) -> pd.Series:
    """Per finding, why it is muted ("silenced by ana until Wed 25 Nov 09:13 — vendor fix",
    "in maintenance window sap-sunday until ...") in the display zone; None when not muted."""
    if findings.empty:
        return pd.Series(None, index=findings.index, dtype=object)
    muter = muter_now(active, windows=windows, now=now)
    if not muter.silences and not muter.windows:  # nothing can mute: skip reading the findings
        return pd.Series(None, index=findings.index, dtype=object)
    found = findings_from_rows(findings.to_dict("records"))
    texts = [
        m.text(lambda t: f"{local_text(t)} {tz_label()}") if m else None for m in muter.mutes(found)
    ]
    return pd.Series(texts, index=findings.index, dtype=object)
