"""The dashboard's only write: creating (and expiring early) silences in the `silences` table.

A silence mutes notifications of findings whose fields match every one of its matchers, from
`starts_at` until `ends_at`. The alerts stage reads the same table and judges with the same
rule (`seamwatch.matching`), so what the dashboard marks silenced is what alerts mute.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime

import pandas as pd

from app.data import local_text, settings, tz_label
from seamwatch.errors import SeamwatchError
from seamwatch.matching import normalise
from seamwatch.mutes import Muter, Window, silences_from_rows, windows_from_config
from seamwatch.store import Store
from seamwatch.timeutil import ensure_utc, utcnow

MATCHER_KEYS = ("integration_id", "metric", "detector", "owner", "severity")
"""Finding fields the dashboard's silence form matches on (all given ones must be equal)."""


class SilenceRejected(SeamwatchError):
    """A silence form was filled in wrongly; the message says which field."""


def create_silence(
    store: Store,
    matchers: Mapping[str, str],
    *,
    ends_at: datetime,
    comment: str,
    author: str,
    now: datetime,
    starts_at: datetime | None = None,
) -> str:
    """Validate and store a silence; returns its id."""
    clean = {k: str(v) for k, v in matchers.items() if v not in (None, "")}
    unknown = sorted(set(clean) - set(MATCHER_KEYS))
    if unknown:
        raise SilenceRejected(
            f"cannot match on {', '.join(unknown)} (known: {', '.join(MATCHER_KEYS)})"
        )
    if not clean:
        raise SilenceRejected("a silence needs at least one matcher, e.g. the integration")
    if not comment.strip():
        raise SilenceRejected("say why (the comment is shown to everyone the silence mutes)")
    if not author.strip():
        raise SilenceRejected("say who is silencing (name or e-mail)")
    now = ensure_utc(now)
    starts = ensure_utc(starts_at) if starts_at else now
    ends = ensure_utc(ends_at)
    if ends <= starts:
        raise SilenceRejected(f"'until' must be after the start ({starts:%Y-%m-%d %H:%M} UTC)")
    silence_id = uuid.uuid4().hex
    with store.write() as con:
        con.execute(
            """
            INSERT INTO silences
                (silence_id, matchers, starts_at, ends_at, comment, author, created_at)
            VALUES (?, CAST(? AS JSON), ?, ?, ?, ?, ?)
            """,
            [
                silence_id,
                json.dumps(clean, sort_keys=True),
                starts,
                ends,
                comment.strip(),
                author.strip(),
                now,
            ],
        )
    return silence_id


def expire_silence(store: Store, silence_id: str, *, now: datetime) -> None:
    """End a silence now (kept for the record, with expired_at set)."""
    with store.write() as con:
        con.execute(
            "UPDATE silences SET expired_at = ? WHERE silence_id = ? AND expired_at IS NULL",
            [ensure_utc(now), silence_id],
        )


def matchers_of(value: object) -> dict[str, list[str]]:
    """A silence's matchers (JSON text or a dict) as field -> accepted values, aliases resolved,
    as the alerts stage reads them (`seamwatch.matching`); {} when unreadable."""
    if isinstance(value, Mapping):
        data: object = value
    else:
        try:
            data = json.loads(str(value))
        except (TypeError, ValueError):
            return {}
    return normalise(data) if isinstance(data, Mapping) else {}


def silenced_mask(findings: pd.DataFrame, active: pd.DataFrame) -> pd.Series:
    """Which findings (rows of v_findings) an active silence or maintenance window mutes now,
    by the alerts stage's rule (`seamwatch.mutes`)."""
    return mute_texts(findings, active).notna()


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
    now = now or utcnow()
    if windows is None:
        try:
            windows = windows_from_config(settings().alerts)
        except (ValueError, SeamwatchError):
            windows = []  # `seamwatch check` names the broken block; the page still shows
    rows_active = active.to_dict("records") if not active.empty else []
    muter = Muter(silences_from_rows(rows_active), windows, now)
    rows = findings.astype(object).where(findings.notna(), None).to_dict("records")
    texts = [
        m.text(lambda t: f"{local_text(t)} {tz_label()}") if m else None for m in muter.mutes(rows)
    ]
    return pd.Series(texts, index=findings.index, dtype=object)


def describe(matchers: Mapping[str, object]) -> str:
    """ "integration_id=crm-orders, metric=latency_p95_ms"."""
    parts = []
    for key, value in sorted(matchers.items()):
        shown = "|".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{key}={shown}")
    return ", ".join(parts) or "—"
