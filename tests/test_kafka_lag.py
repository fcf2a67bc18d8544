"""Kafka consumer groups through Prometheus: a real Prometheus holding backfilled
`kafka_consumergroup_lag` series (the kafka_exporter family), judged by consumer_lag."""

from __future__ import annotations

from datetime import timedelta

import pytest

from collectors.runner import run_backfill
from detectors.engine import evaluate
from detectors.settings import DetectorSettings
from tests.collect_helpers import make_source
from tests.servers_prometheus import at, start_prometheus, stop

END = 1_795_522_200 + 7200  # a fixed instant; the series end here
START = END - 7200
STEP = 60


def _group_label(expr: str) -> str:
    return f'label_replace({expr}, "integration", "$1", "consumergroup", "(.+)")'


QUERIES = {
    "backlog": f"sum by (integration) ({_group_label('kafka_consumergroup_lag')})",
    "consume_rate": "sum by (integration) ("
    + _group_label("rate(kafka_consumergroup_current_offset[5m])")
    + ")",
    "consumers": f"max by (integration) ({_group_label('kafka_consumergroup_members')})",
}


def _series() -> str:
    """Four groups, two partitions each: keeping up, falling behind, stalled, rewound."""
    lines = [
        "# TYPE kafka_consumergroup_lag gauge",
    ]
    lag: dict[str, list[tuple[int, float]]] = {}
    offset: dict[str, list[tuple[int, float]]] = {}
    members: dict[str, int] = {}
    for t in range(START, END + 1, STEP):
        i = (t - START) // STEP
        rewound = t >= END - 15 * 60
        groups = {
            # group: (lag per partition, offset per partition, members)
            "crm-orders-to-erp": (float(i % 5 * 10), 600.0 * i, 2),
            "payments-webhook": (30.0 * i, 300.0 * i, 2),  # consuming, but lag rises every step
            "orders-stalled": (100.0 + 5 * i, 1000.0, 1),  # attached, offsets never move
            "ledger-feed": (50_000.0 if rewound else float(i % 3), 600.0 * i, 1),
        }
        for group, (lg, off, m) in groups.items():
            lag.setdefault(group, []).append((t, lg))
            offset.setdefault(group, []).append((t, off))
            members[group] = m
    for group, points in lag.items():
        for partition in (0, 1):
            lines += [
                f'kafka_consumergroup_lag{{consumergroup="{group}",topic="t",partition="{partition}"}} {v} {t}'
                for t, v in points
            ]
    lines.append("# TYPE kafka_consumergroup_current_offset gauge")
    for group, points in offset.items():
        for partition in (0, 1):
            lines += [
                f'kafka_consumergroup_current_offset{{consumergroup="{group}",topic="t",partition="{partition}"}} {v} {t}'
                for t, v in points
            ]
    lines.append("# TYPE kafka_consumergroup_members gauge")
    for group, m in members.items():
        lines += [
            f'kafka_consumergroup_members{{consumergroup="{group}"}} {m} {t}'
            for t in range(START, END + 1, STEP)
        ]
    lines.append("# EOF")
    return "\n".join(lines) + "\n"


@pytest.mark.server
def test_consumer_groups_from_prometheus_are_ok_behind_stalled_and_rewound(
    tmp_path, store, inventory
):
    server = start_prometheus(tmp_path / "prom", _series())
    try:
        source = make_source(
            "prometheus", url=server.url, metrics=QUERIES, step="60s", interval="60s"
        )
        results = list(run_backfill(source, store, inventory, at(END - 3600), at(END + 1)))
        assert all(r.status == "ok" for r in results), [r.failures for r in results]
    finally:
        stop(server)
    lag = store.query(
        "SELECT integration_id, arg_max(value, ts) AS v FROM samples WHERE metric = 'backlog'"
        " GROUP BY ALL"
    )
    assert dict(zip(lag.integration_id, lag.v, strict=True))["ledger-feed"] == 100_000.0
    findings = evaluate(
        store, inventory, DetectorSettings(enabled=["consumer_lag"]), at(END) + timedelta(seconds=1)
    ).findings
    states = {f.integration_id: f.evidence["state"] for f in findings}
    assert states == {
        "payments-webhook": "WARNING",
        "orders-stalled": "STALLED",
        "ledger-feed": "REWIND",
    }
    rewind = next(f for f in findings if f.integration_id == "ledger-feed")
    assert rewind.onset == at(END - 15 * 60)  # the step in which the lag jumped
