"""The DuckDB store: idempotent writes, lock contention and the spool, migrations, rollups."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import time
from datetime import UTC, datetime, timedelta

import duckdb
import numpy as np
import pandas as pd
import pytest

from seamwatch.store import Store
from seamwatch.store.schema import latest_version, migrations

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)


def batch(
    minutes: int = 60, integrations=("a", "b"), start: datetime = T0, value: float = 1.0
) -> pd.DataFrame:
    rows = [
        {
            "ts": start + timedelta(minutes=m),
            "integration_id": i,
            "metric": "throughput",
            "value": value + m,
        }
        for i in integrations
        for m in range(minutes)
    ]
    return pd.DataFrame(rows)


@pytest.fixture
def store(tmp_path) -> Store:
    s = Store(tmp_path / "s.duckdb", lock_timeout=1.0)
    s.migrate()
    return s


def test_writing_the_same_batch_twice_stores_it_once(store):
    first = store.write_samples(batch(), source="t")
    second = store.write_samples(batch(), source="t")
    assert (first.written, second.written) == (120, 0)
    assert store.sample_count() == 120


def test_overlapping_batches_add_only_new_keys(store):
    store.write_samples(batch(60), source="t")
    result = store.write_samples(batch(90), source="t")
    assert result.written == 60
    assert store.sample_count() == 180


def test_duplicates_inside_one_batch_are_collapsed(store):
    doubled = pd.concat([batch(10), batch(10)])
    assert store.write_samples(doubled, source="t").written == 20


def test_nan_and_inf_values_are_dropped_not_stored(store):
    frame = batch(3)
    frame.loc[0, "value"] = np.nan
    frame.loc[1, "value"] = np.inf
    result = store.write_samples(frame, source="t")
    assert (result.written, result.dropped) == (4, 2)


def test_unknown_metric_is_refused_with_its_name(store):
    frame = batch(2).assign(metric="latency_p42_ms")
    with pytest.raises(ValueError, match="latency_p42_ms"):
        store.write_samples(frame, source="t")


def test_latest_tracks_the_newest_sample_even_when_history_arrives_late(store):
    store.write_samples(batch(60), source="t")
    store.write_samples(batch(10, start=T0 - timedelta(days=1), value=500), source="t")
    latest = store.query("SELECT integration_id, value, ts FROM v_latest ORDER BY 1")
    assert list(latest["value"]) == [60.0, 60.0]
    assert latest["ts"].iloc[0] == pd.Timestamp(T0 + timedelta(minutes=59))


def test_rollups_and_v_samples(store):
    store.write_samples(batch(120), source="t")
    assert store.rollup() > 0
    hourly = store.query(
        "SELECT bucket, n, mean FROM rollup_1h WHERE integration_id = 'a' ORDER BY bucket"
    )
    assert list(hourly["n"]) == [60, 60]
    assert hourly["mean"].iloc[0] == pytest.approx(np.mean(np.arange(60) + 1.0))
    five = store.query("SELECT count(*) AS n FROM rollup_5m WHERE integration_id = 'a'")
    assert five["n"].iloc[0] == 24
    # raw history shows as raw; rollups older than the raw horizon show as 1h
    store.write_samples(batch(1, start=T0 + timedelta(hours=5)), source="t")
    store.rollup()
    with store.write() as con:
        con.execute("DELETE FROM samples WHERE ts < ?", [T0 + timedelta(hours=1)])
    resolutions = store.query(
        "SELECT resolution, count(*) AS n FROM v_samples GROUP BY 1 ORDER BY 1"
    )
    assert dict(zip(resolutions["resolution"], resolutions["n"], strict=True)) == {
        "1h": 2,
        "raw": 122,
    }


def test_retention_drops_old_raw_samples(store):
    store.raw_retention = timedelta(days=1)
    store.write_samples(batch(10, start=T0 - timedelta(days=3)), source="t")
    store.write_samples(batch(10), source="t")
    result = store.apply_retention(T0 + timedelta(hours=1))
    assert result.samples == 20
    assert store.sample_count() == 20


def test_a_reader_holding_the_file_makes_the_writer_spool_and_nothing_is_lost(store, tmp_path):
    """A second process holds the store open read-only for 4 s while we write."""
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            textwrap.dedent(
                f"""
                import duckdb, sys, time
                con = duckdb.connect({str(store.path)!r}, read_only=True)
                print("holding", flush=True)
                time.sleep(4)
                con.close()
                """
            ),
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout.readline().strip() == "holding"
    results = [
        store.write_samples(batch(30, start=T0 + timedelta(hours=h)), source="t") for h in range(3)
    ]
    assert all(r.spooled for r in results)
    assert store.spool.depth() == 3
    with pytest.raises(duckdb.IOException):  # the file really is locked for writers
        duckdb.connect(str(store.path)).close()
    holder.wait(timeout=30)
    # the next write replays the spool first, then writes its own batch
    store.write_samples(batch(30, start=T0 + timedelta(hours=10)), source="t")
    assert store.spool.depth() == 0
    assert store.sample_count() == 4 * 60


def test_a_writer_waits_out_a_short_read_instead_of_spooling(store):
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            f"import duckdb,time; c=duckdb.connect({str(store.path)!r}, read_only=True); print('h', flush=True); time.sleep(0.4)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    holder.stdout.readline()
    clock = time.monotonic()
    result = store.write_samples(batch(5), source="t", timeout=10)
    holder.wait(timeout=10)
    assert not result.spooled and result.written == 10
    assert time.monotonic() - clock < 10


def test_migrations_upgrade_an_older_schema_and_keep_its_data(tmp_path):
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    first = migrations()[0]
    con.execute(
        "CREATE TABLE schema_version (version INTEGER PRIMARY KEY, name VARCHAR, applied_at TIMESTAMPTZ DEFAULT now())"
    )
    con.execute(first.sql)
    con.execute(
        "INSERT INTO schema_version (version, name) VALUES (?, ?)", [first.version, first.name]
    )
    con.execute(
        "INSERT INTO samples VALUES ('2026-11-01 00:00:00+00', 'a', 'throughput', 3.0, 'old')"
    )
    con.close()
    store = Store(path)
    assert store.schema_version() == (first.version, latest_version())
    store.migrate()
    assert store.schema_version() == (latest_version(), latest_version())
    assert store.sample_count() == 1
    assert store.migrate() == []  # idempotent


def test_reading_a_missing_store_says_what_to_do(tmp_path):
    from seamwatch.errors import StoreMissing

    with pytest.raises(StoreMissing, match="seamwatch demo"):
        Store(tmp_path / "none.duckdb").query("SELECT 1")


def test_threads_of_one_process_mix_reads_and_writes_without_conflicts(store):
    store.lock_timeout = 30.0  # the machine may be busy; this is about conflicts, not speed
    """The scheduler runs jobs in threads: readers and writers of one process take turns."""
    import threading

    errors: list[Exception] = []

    def write(k: int) -> None:
        try:
            for j in range(15):
                store.write_samples(
                    batch(1, integrations=("a",), start=T0 + timedelta(minutes=k * 100 + j)),
                    source="t",
                )
        except Exception as exc:  # pragma: no cover - the assertion shows it
            errors.append(exc)

    def read() -> None:
        try:
            for _ in range(30):
                store.get_state("x")
                store.query("SELECT count(*) FROM v_latest")
        except Exception as exc:  # pragma: no cover
            errors.append(exc)

    threads = [threading.Thread(target=write, args=(k,)) for k in range(3)]
    threads += [threading.Thread(target=read) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert store.sample_count() == 45
