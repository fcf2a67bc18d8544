"""Silences have one home (seamwatch.silences): one id format, one field list, one stored form,
read the same by the CLI, the dashboard, `detect` and the alerts stage, old rows included."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from seamwatch.findings import Finding
from seamwatch.matching import ALIASES, MATCH_FIELDS, matches
from seamwatch.mutes import Muter, open_mutes
from seamwatch.silences import (
    ID_LENGTH,
    SilenceError,
    active_silences,
    add_silence,
    check_matchers,
    expire_silence,
    list_silences,
    parse_matchers,
)
from seamwatch.store import Store

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)
HOUR = timedelta(hours=1)


@pytest.fixture
def store(tmp_path: Path) -> Store:
    s = Store(tmp_path / "seamwatch.duckdb")
    s.migrate()
    return s


def test_a_silence_gets_a_short_hex_id_and_is_stored_compactly_with_aliases_resolved(
    store: Store,
) -> None:
    silence = add_silence(
        store,
        {"team": "payments", "severity": ["warning", "critical"], "metric": ""},
        ends_at=NOW + 2 * HOUR,
        comment=" ERP release ",
        author="ana",
        now=NOW,
    )
    assert len(silence.silence_id) == ID_LENGTH
    int(silence.silence_id, 16)
    assert silence.matchers == {"owner": ["payments"], "severity": ["warning", "critical"]}
    stored = store.scalar("SELECT matchers FROM silences")
    assert json.loads(stored) == {"owner": "payments", "severity": ["warning", "critical"]}
    (listed,) = list_silences(store, NOW)
    assert listed == silence and listed.comment == "ERP release"
    assert listed.state(NOW) == "active" and listed.describe() == (
        "owner=payments, severity=warning|critical"
    )


def test_a_silence_starting_later_is_pending_then_active(store: Store) -> None:
    add_silence(
        store, {"integration": "crm-*"}, starts_at=NOW + HOUR, ends_at=NOW + 3 * HOUR,
        comment="window", author="ana", now=NOW,
    )  # fmt: skip
    (pending,) = list_silences(store, NOW)
    assert pending.state(NOW) == "pending" and active_silences(store, NOW) == []
    assert [s.silence_id for s in active_silences(store, NOW + 2 * HOUR)] == [pending.silence_id]


@pytest.mark.parametrize(
    ("matchers", "comment", "author", "ends", "message"),
    [
        ({}, "why", "ana", HOUR, "needs at least one matcher"),
        ({"integration_id": ""}, "why", "ana", HOUR, "needs at least one matcher"),
        ({"colour": "red"}, "why", "ana", HOUR, "unknown field 'colour'"),
        ({"severity": "bogus"}, "why", "ana", HOUR, "severity=bogus: no finding has that"),
        ({"tier": "9"}, "why", "ana", HOUR, r"tier=9: no finding has that tier \(one of: 1, 2"),
        ({"owner": "x"}, "  ", "ana", HOUR, "say why"),
        ({"owner": "x"}, "why", " ", HOUR, "say who"),
        ({"owner": "x"}, "why", "ana", -HOUR, "must end after it starts"),
    ],
)
def test_a_silence_filled_in_wrongly_is_refused_with_the_reason(
    store: Store, matchers: dict, comment: str, author: str, ends: timedelta, message: str
) -> None:
    with pytest.raises(SilenceError, match=message):
        add_silence(store, matchers, ends_at=NOW + ends, comment=comment, author=author, now=NOW)
    assert store.scalar("SELECT count(*) FROM silences") == 0


def test_a_silence_that_would_already_have_ended_is_refused(store: Store) -> None:
    with pytest.raises(SilenceError, match="would already have ended"):
        add_silence(
            store, {"owner": "x"}, starts_at=NOW - 3 * HOUR, ends_at=NOW - HOUR,
            comment="late", author="ana", now=NOW,
        )  # fmt: skip


def test_cli_pairs_become_the_same_matchers() -> None:
    assert parse_matchers(["tag=erp", "tag=pci", "integration=crm-*"]) == {
        "tags": ["erp", "pci"],
        "integration_id": ["crm-*"],
    }
    with pytest.raises(SilenceError, match="is not field=value"):
        parse_matchers(["owner"])
    with pytest.raises(SilenceError, match="unknown field 'colour'"):
        parse_matchers(["colour=red"])
    assert check_matchers({"system": "SAP*"}) == {"system": ["SAP*"]}


def test_expire_takes_an_id_or_a_unique_prefix_and_refuses_twice(store: Store) -> None:
    a = add_silence(store, {"owner": "a"}, ends_at=NOW + HOUR, comment="x", author="y", now=NOW)
    expired = expire_silence(store, a.silence_id[:5], NOW + timedelta(minutes=5))
    assert expired.expired_at == NOW + timedelta(minutes=5)
    assert expired.state(NOW + timedelta(minutes=5)) == "expired"
    assert list_silences(store, NOW) == []
    assert [s.silence_id for s in list_silences(store, NOW, include_expired=True)] == [a.silence_id]
    with pytest.raises(SilenceError, match="already expired"):
        expire_silence(store, a.silence_id, NOW + timedelta(minutes=6))
    with pytest.raises(SilenceError, match="no silence with id 'zz'"):
        expire_silence(store, "zz", NOW)


def test_silences_written_before_one_home_are_still_read_and_expired(store: Store) -> None:
    # the dashboard wrote 32-hex ids and single strings; `seamwatch silence` 12-hex ids and lists
    with store.write() as con:
        con.execute(
            "INSERT INTO silences VALUES"
            " ('0123456789abcdef0123456789abcdef', '{\"integration_id\": \"crm-orders-to-erp\"}',"
            "  ?, ?, 'dashboard', 'ana', ?, NULL),"
            ' (\'0123456789ab\', \'{"owner": ["payments"], "tag": ["erp"]}\','
            "  ?, ?, 'cli', 'bo', ?, NULL)",
            [NOW - HOUR, NOW + HOUR, NOW - HOUR] * 2,
        )
    found = {s.author: s for s in active_silences(store, NOW)}
    assert found["ana"].matchers == {"integration_id": ["crm-orders-to-erp"]}
    assert found["bo"].matchers == {"owner": ["payments"], "tags": ["erp"]}
    # the 12-hex id is a prefix of the 32-hex one: the exact id wins
    assert expire_silence(store, "0123456789ab", NOW).author == "bo"
    with pytest.raises(SilenceError, match="already expired"):
        expire_silence(store, "0123456789ab", NOW)
    assert expire_silence(store, "0123456789abcdef", NOW).author == "ana"


def test_what_a_silence_mutes_is_judged_on_the_read_model(store: Store) -> None:
    add_silence(
        store, {"tag": "erp", "severity": "warning"}, ends_at=NOW + HOUR, comment="freeze",
        author="ana", now=NOW,
    )  # fmt: skip
    with store.write() as con:
        con.execute(
            "INSERT INTO integrations (id, name, owner, source_system, target_system, tags)"
            " VALUES ('crm', 'CRM', 'sales', 'CRM', 'SAP ERP', ['orders', 'erp'])"
        )
        for fid, severity in (("w", "warning"), ("c", "critical")):
            con.execute(
                "INSERT INTO findings (finding_id, fingerprint, integration_id, metric, detector,"
                " severity, summary, status, first_seen, last_seen)"
                " VALUES (?, ?, 'crm', 'error_rate', 'trend', ?, 's', 'open', ?, ?)",
                [fid, fid, severity, NOW, NOW],
            )
    muted = open_mutes(store, {}, NOW)
    assert set(muted) == {"w"}
    assert muted["w"].text() == "silenced by ana until 2026-11-25 10:00 UTC — freeze"


def test_the_field_list_is_one_and_routes_and_windows_match_on_it() -> None:
    from alerts.settings import Match

    route_fields = {f.alias or name for name, f in Match.model_fields.items()}
    known = set(MATCH_FIELDS) | set(ALIASES)
    assert route_fields <= known, route_fields - known
    finding = Finding(
        "f", "f", "crm", "CRM", "sales", "error_rate", "trend", "warning", "s", "open", NOW, NOW,
        tier=2, lifecycle="active", source_system="CRM", target_system="SAP ERP",
        tags=("erp",),
    )  # fmt: skip
    for field in MATCH_FIELDS:
        assert finding.field_values(field), field  # every field reads something from a finding
    assert matches(finding, {"system": ["SAP*"], "tier": ["2"]})
    assert Muter([], [], NOW).mute(finding) is None


def test_the_muter_takes_any_matchable_finding_or_a_row(store: Store) -> None:
    from seamwatch.mutes import from_silence

    silence = add_silence(
        store, {"owner": "sales"}, ends_at=NOW + HOUR, comment="c", author="a", now=NOW
    )
    muter = Muter([from_silence(silence)], [], NOW)
    finding = Finding(
        "f", "f", "crm", "CRM", "sales", "error_rate", "trend", "warning", "s", "open", NOW, NOW
    )

    class Other:  # e.g. another stage's view of a finding
        def field_values(self, name: str) -> list[str]:
            return ["sales"] if name == "owner" else []

    assert muter.mute(finding) is not None and muter.mute(Other()) is not None
    assert muter.mute(finding.as_dict()) is not None
