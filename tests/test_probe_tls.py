"""TLS certificate expiry in probes, against a local HTTPS server with a certificate made here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from collectors.runner import run_cycle
from detectors.engine import evaluate
from detectors.settings import DetectorSettings
from tests.collect_helpers import make_source, values
from tests.servers_tls import tls_server

LINK = "crm-orders-to-erp"


def _cycle(store, inventory, server, now, **keys):
    source = make_source(
        "probe",
        targets=[{"integration": LINK, "url": server.url}],
        ca_file=str(server.ca_file),
        **keys,
    )
    result = run_cycle(source, store, inventory, now=now)
    assert result.status == "ok"
    return values(store)


def _findings(store, inventory, as_of):
    settings = DetectorSettings(enabled=["cert_expiry"])
    return {
        f.metric: f
        for f in evaluate(store, inventory, settings, as_of).findings
        if f.integration_id == LINK
    }


@pytest.mark.parametrize(
    ("days", "severity"),
    [(30.0, None), (20.0, "info"), (6.5, "warning")],
)
def test_days_left_is_a_metric_and_a_finding_at_21_and_7_days(
    tmp_path, store, inventory, days, severity
):
    not_after = (datetime.now(UTC) + timedelta(days=60)).replace(second=0, microsecond=0)
    now = not_after - timedelta(days=days)  # the probe's own clock, pinned against the cert
    with tls_server(tmp_path / "tls", not_after) as server:
        got = _cycle(store, inventory, server, now)
    assert got[(LINK, "cert_days_left")] == pytest.approx(days, abs=1e-6)
    assert got[(LINK, "cert_valid")] == 1.0
    assert got[(LINK, "error_rate")] == 0.0  # the CA file trusts the server: probes succeed
    found = _findings(store, inventory, now)
    if severity is None:
        assert "cert_days_left" not in found
    else:
        finding = found["cert_days_left"]
        assert finding.severity == severity
        assert f"expires in {days:.1f} days" in finding.summary
        assert finding.evidence["expires"] == not_after.isoformat().replace("+00:00", "Z")
        # since when it is a notice (21 days before) or a warning (7 days before)
        assert finding.onset == not_after - timedelta(days=21 if severity == "info" else 7)


def test_an_expired_certificate_is_critical_with_how_long_ago(tmp_path, store, inventory):
    not_after = (datetime.now(UTC) - timedelta(days=2)).replace(second=0, microsecond=0)
    now = not_after + timedelta(days=2)
    with tls_server(tmp_path / "tls", not_after) as server:
        got = _cycle(store, inventory, server, now)
    assert got[(LINK, "cert_days_left")] == pytest.approx(-2.0)
    assert got[(LINK, "cert_valid")] == 0.0
    assert got[(LINK, "error_rate")] == 1.0  # the probe's own request fails verification too
    found = _findings(store, inventory, now)
    assert found["cert_days_left"].severity == "critical"
    assert "expired 2.0 days ago" in found["cert_days_left"].summary
    assert found["cert_valid"].severity == "critical"


def test_an_untrusted_certificate_is_invalid_but_its_expiry_is_still_read(
    tmp_path, store, inventory
):
    not_after = (datetime.now(UTC) + timedelta(days=90)).replace(second=0, microsecond=0)
    now = not_after - timedelta(days=90)
    with tls_server(tmp_path / "tls", not_after) as server:
        source = make_source("probe", targets=[{"integration": LINK, "url": server.url}])
        run_cycle(
            source, store, inventory, now=now
        )  # no ca_file: the system store does not know it
    got = values(store)
    assert got[(LINK, "cert_valid")] == 0.0
    assert got[(LINK, "cert_days_left")] == pytest.approx(90.0)
    found = _findings(store, inventory, now)
    assert found["cert_valid"].severity == "critical"
    assert found["cert_valid"].onset == now - timedelta(minutes=now.minute % 5)  # its 5-min bucket
    assert "cert_days_left" not in found


def test_verify_tls_off_reads_expiry_without_judging_validity(tmp_path, store, inventory):
    not_after = (datetime.now(UTC) + timedelta(days=10)).replace(second=0, microsecond=0)
    now = not_after - timedelta(days=10)
    with tls_server(tmp_path / "tls", not_after) as server:
        source = make_source(
            "probe", targets=[{"integration": LINK, "url": server.url}], verify_tls=False
        )
        run_cycle(source, store, inventory, now=now)
    got = values(store)
    assert got[(LINK, "cert_days_left")] == pytest.approx(10.0)
    assert (LINK, "cert_valid") not in got


def test_plain_http_targets_and_check_tls_off_emit_no_certificate_metrics(
    tmp_path, web, store, inventory
):
    web.expect_request("/h").respond_with_data("ok")
    now = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
    source = make_source("probe", targets=[{"integration": LINK, "url": web.url_for("/h")}])
    run_cycle(source, store, inventory, now=now)
    not_after = (datetime.now(UTC) + timedelta(days=3)).replace(second=0, microsecond=0)
    with tls_server(tmp_path / "tls", not_after) as server:
        source = make_source(
            "probe",
            name="p2",
            targets=[{"integration": "payments-webhook", "url": server.url}],
            check_tls=False,
            verify_tls=False,
        )
        run_cycle(source, store, inventory, now=now)
    assert not {k for k in values(store) if k[1].startswith("cert_")}
