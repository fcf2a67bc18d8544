"""A chat message's "Since" is when the problem began (the finding's onset), not its detection."""

from __future__ import annotations

from datetime import UTC, datetime

from alerts.message import Item
from seamwatch.findings import Finding

DETECTED = datetime(2026, 11, 20, 11, 41, tzinfo=UTC)
BEGAN = datetime(2026, 11, 17, 22, 0, tzinfo=UTC)
NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)


def finding(**changes: object) -> Finding:
    base = dict(
        finding_id="f1",
        fingerprint="fp",
        integration_id="payments-webhook",
        name="Payments webhook",
        owner="payments",
        metric="error_rate",
        detector="level_shift",
        severity="critical",
        summary="error rate stepped up from 0.20% to 1.5%",
        status="open",
        first_seen=DETECTED,
        last_seen=NOW,
        onset=BEGAN,
    )
    return Finding(**{**base, **changes})  # type: ignore[arg-type]


def test_since_is_the_onset_and_detection_follows() -> None:
    line = Item(finding(), "open", "").status_line(NOW)
    assert line == "Since 2026-11-17 22:00 UTC (2d14h; detected 2026-11-20 11:41 UTC)"


def test_without_an_onset_since_is_the_detection() -> None:
    line = Item(finding(onset=None), "open", "").status_line(NOW)
    assert line == "Since 2026-11-20 11:41 UTC (19m)"


def test_a_resolve_says_how_long_the_problem_lasted_from_its_onset() -> None:
    resolved = finding(status="resolved", resolved_at=datetime(2026, 11, 18, 22, tzinfo=UTC))
    line = Item(resolved, "resolve", "").status_line(NOW)
    assert line == "Recovered after 1d (began 2026-11-17 22:00 UTC)"


def test_times_are_shown_in_the_readers_zone_summaries_included() -> None:
    from zoneinfo import ZoneInfo

    berlin = ZoneInfo("Europe/Berlin")
    stepped = finding(summary="error rate stepped up at 2026-11-17 22:00 UTC, 62 h ago")
    item = Item(stepped, "open", "", berlin)
    assert item.status_line(NOW) == (
        "Since 2026-11-17 23:00 CET (2d14h; detected 2026-11-20 12:41 CET)"
    )
    assert item.summary_line(NOW) == "error rate stepped up at 2026-11-17 23:00 CET, 62 h ago"


def test_summaries_are_stored_in_utc_and_rendered_in_any_zone() -> None:
    from zoneinfo import ZoneInfo

    from seamwatch.timeutil import localize_times

    text = "no samples for 6h (last at 2026-07-01 23:30 UTC; expected every 1m)"
    assert localize_times(text, ZoneInfo("Europe/Berlin")) == (
        "no samples for 6h (last at 2026-07-02 01:30 CEST; expected every 1m)"
    )
    assert localize_times(text, ZoneInfo("UTC")) == text
    assert localize_times(text, None) == text


def test_the_app_shows_summaries_and_reasons_in_its_zone(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    from zoneinfo import ZoneInfo

    import pandas as pd

    from app import queries

    monkeypatch.setattr(queries, "timezone", lambda: ZoneInfo("America/New_York"))
    frame = pd.DataFrame({"reason": ["stepped up at 2026-11-24 04:00 UTC", None]})
    shown = queries._localized(frame, "reason")
    assert shown["reason"].tolist()[0] == "stepped up at 2026-11-23 23:00 EST"
    assert pd.isna(shown["reason"].tolist()[1])
