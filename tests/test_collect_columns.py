"""Column-wise sample mapping: the same refusals as one-by-one adds, without a loop per sample."""

from __future__ import annotations

from datetime import UTC, datetime

from collectors.samples import SampleBuilder
from seamwatch.inventory import Inventory
from seamwatch.metrics import Metric

T0 = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)


def test_columns_refuse_nan_inf_and_text_naming_each_value_and_its_time():
    builder = SampleBuilder("prom")
    base = T0.timestamp()
    builder.add_columns(
        [base, base + 60, base + 120, base + 180],
        ["a", "a", "b", "b"],
        Metric.LATENCY_P95_MS,
        ["1.5", "NaN", "+Inf", "12"],
        where="query q",
        timed=True,
    )
    batch = builder.batch()
    assert batch.samples.column("value").to_pylist() == [1.5, 12.0]
    assert batch.samples.column("ts").to_pylist() == [T0, T0.replace(minute=3)]
    assert [(f.integration, f.error) for f in batch.failures] == [
        ("a", "value is NaN from query q at 08:01:00"),
        ("b", "value is +Inf from query q at 08:02:00"),
    ]


def test_columns_count_samples_of_a_non_slug_id_once_and_keep_uninventoried_ids():
    builder = SampleBuilder("prom", Inventory())
    builder.add_columns(T0, ["ok-1", "Bad Id", "ok-2"], Metric.THROUGHPUT, [1, 2, 3], where="q1")
    builder.add_columns(T0, ["Bad Id"], Metric.ERROR_RATE, ["0.1"], where="q2")
    batch = builder.batch()
    assert batch.samples.column("integration_id").to_pylist() == ["ok-1", "ok-2"]
    assert batch.samples.column("source").to_pylist() == ["prom", "prom"]
    assert len(batch.failures) == 1
    assert "from q1: 2 sample(s) not stored" in batch.failures[0].error
    assert builder.count == 2


def test_columns_and_single_adds_make_one_batch():
    builder = SampleBuilder("mixed")
    builder.add(T0, "a", Metric.DLQ_DEPTH, 3, where="x")
    builder.add_columns(T0, ["b"], Metric.DLQ_DEPTH, ["4"], where="y")
    rows = builder.batch().samples.to_pylist()
    assert [(r["integration_id"], r["value"]) for r in rows] == [("a", 3.0), ("b", 4.0)]
