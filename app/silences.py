"""The dashboard's only write: creating (and expiring early) silences in the `silences` table.

A silence mutes notifications of findings whose fields equal every one of its matchers, from
`starts_at` until `ends_at`. The alerts stage reads the same table.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from datetime import datetime
from fnmatch import fnmatchcase

import pandas as pd

from seamwatch.errors import SeamwatchError
from seamwatch.store import Store
from seamwatch.timeutil import ensure_utc

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


_ALIASES = {"integration": "integration_id", "team": "owner", "tag": "tags"}
"""Matcher names the alerts stage also accepts (`seamwatch silence` writes them)."""


def matchers_of(value: object) -> dict[str, list[str]]:
    """A silence's matchers (JSON text or a dict) as field -> accepted values, aliases resolved.

    Mirrors how the alerts stage reads them: a value may be a list, and a value with `*`, `?`
    or `[` is a shell wildcard.
    """
    if isinstance(value, Mapping):
        data: object = value
    else:
        try:
            data = json.loads(str(value))
        except (TypeError, ValueError):
            return {}
    if not isinstance(data, Mapping):
        return {}
    out: dict[str, list[str]] = {}
    for key, accepted in data.items():
        values = accepted if isinstance(accepted, list | tuple) else [accepted]
        out[_ALIASES.get(str(key), str(key))] = [str(v) for v in values]
    return out


def _accepts(patterns: list[str], value: object) -> bool:
    text = (
        ""
        if value is None or (not isinstance(value, list | tuple) and pd.isna(value))
        else str(value)
    )
    return any(fnmatchcase(text, p) if any(c in p for c in "*?[") else text == p for p in patterns)


def silenced_mask(findings: pd.DataFrame, active: pd.DataFrame) -> pd.Series:
    """Which findings an active silence mutes (every matcher accepts the finding's field).

    A matcher on a field the findings table does not carry (e.g. tags) is not judged here: such
    a finding is shown as not silenced rather than guessed.
    """
    mask = pd.Series(False, index=findings.index)
    for value in active.get("matchers", pd.Series(dtype=object)):
        matchers = matchers_of(value)
        if not matchers or any(key not in findings.columns for key in matchers):
            continue
        hit = pd.Series(True, index=findings.index)
        for key, accepted in matchers.items():
            hit &= findings[key].map(lambda v, a=accepted: _accepts(a, v))
        mask |= hit
    return mask


def describe(matchers: Mapping[str, object]) -> str:
    """ "integration_id=crm-orders, metric=latency_p95_ms"."""
    parts = []
    for key, value in sorted(matchers.items()):
        shown = "|".join(map(str, value)) if isinstance(value, list | tuple) else str(value)
        parts.append(f"{key}={shown}")
    return ", ".join(parts) or "—"
