"""Bounded memory: every store connection carries the configured limits; big work goes in chunks."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pandas as pd
import pytest

from seamwatch.config import load_settings
from seamwatch.store import Limits, Store
from seamwatch.store.maintenance import rollup
from seamwatch.store.readonly import run_read_only

T0 = datetime(2026, 11, 2, 0, 0, tzinfo=UTC)
SETTINGS = "SELECT current_setting('memory_limit'), current_setting('threads'), current_setting('temp_directory')"


def fleet(hours: int, integrations: int = 3, start: datetime = T0) -> pd.DataFrame:
    """Minute samples of two metrics for a few integrations, values varying per minute."""
    rows = [
        {
            "ts": start + timedelta(minutes=m),
            "integration_id": f"int-{i}",
            "metric": metric,
            "value": float((m * 7 + i * 3) % 50) + (0.5 if metric == "error_rate" else 10.0),
        }
        for i in range(integrations)
        for metric in ("throughput", "error_rate")
        for m in range(hours * 60)
    ]
    return pd.DataFrame(rows)


def test_store_settings_set_memory_threads_and_spill_directory_on_every_connection(tmp_path):
    config = tmp_path / "config.toml"
    config.write_text(
        '[store]\npath = "data/s.duckdb"\nmemory_limit = "512MB"\nthreads = 1\n'
        'temp_directory = "data/spill"\n[inventory]\npaths = []\n'
    )
    store = Store.from_settings(load_settings(config))
    store.migrate()
    with store.write() as con:
        written = con.execute(SETTINGS).fetchone()
    with store.read() as con:
        read = con.execute(SETTINGS).fetchone()
    sql = run_read_only(store.path, SETTINGS, limits=store.limits).frame.iloc[0].tolist()
    for memory, threads, spill in (written, read):
        assert memory in ("488.2 MiB", "488.2MiB") and int(threads) == 1
        assert spill == str(tmp_path / "data" / "spill")
    # the SQL console keeps its own caps (512 MB, never more threads than the store, no spill)
    assert sql[0] in ("488.2 MiB", "488.2MiB") and int(sql[1]) == 1 and not sql[2]


def test_default_limits_fit_a_shared_machine(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    with store.read() as con:
        memory, threads, _ = con.execute(SETTINGS).fetchone()
    assert memory == "1.8 GiB" and 1 <= int(threads) <= 2
    assert Limits().memory_limit == "2GB"


@pytest.mark.parametrize(
    ("key", "value", "why"),
    [("memory_limit", '"lots"', "is not a memory size"), ("threads", "0", "greater than or equal")],
)
def test_a_bad_limit_is_a_config_error_naming_the_key(tmp_path, key, value, why):
    from seamwatch.errors import SeamwatchError

    config = tmp_path / "config.toml"
    config.write_text(f"[store]\n{key} = {value}\n")
    with pytest.raises(SeamwatchError) as err:
        load_settings(config)
    assert f"store.{key}" in str(err.value) and why in str(err.value)


def rollups(store: Store) -> tuple[pd.DataFrame, ...]:
    order = "ORDER BY bucket, integration_id, metric"
    tables = ("rollup_5m", "rollup_1h", "rollup_1d")
    return tuple(store.query(f"SELECT * FROM {table} {order}") for table in tables)


def test_a_rollup_in_small_chunks_equals_one_in_a_single_pass(tmp_path):
    stores = []
    for name, chunk_rows in (("one", 10**9), ("chunked", 100)):
        store = Store(tmp_path / f"{name}.duckdb")
        store.migrate()
        store.write_samples(fleet(hours=7), source="t")
        # a second, later range with a gap: rolled up on its own, not the hours between
        store.write_samples(fleet(hours=2, start=T0 + timedelta(days=3)), source="t")
        with store.write() as con:
            buckets = rollup(con, chunk_rows=chunk_rows)
        stores.append((store, buckets))
    (one, n_one), (chunked, n_chunked) = stores
    # 5-minute and hourly buckets, and the first day's daily ones (the newest day is in progress)
    assert n_one == n_chunked == 9 * 12 * 6 + 9 * 6 + 1 * 6
    for a, b in zip(rollups(one), rollups(chunked), strict=True):
        pd.testing.assert_frame_equal(a, b)
    assert chunked.scalar("SELECT count(*) FROM rollup_dirty") == 0


def test_rollup_of_a_late_write_replaces_only_its_hours(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    store.write_samples(fleet(hours=4), source="t")
    store.rollup()
    late = fleet(hours=1, start=T0 + timedelta(hours=4))
    store.write_samples(late, source="t")
    store.rollup()
    hourly = store.query("SELECT bucket, n FROM rollup_1h WHERE integration_id = 'int-0'")
    assert len(hourly) == 2 * 5 and set(hourly["n"]) == {60}


def test_an_import_larger_than_a_chunk_is_written_whole_and_once(cli, tmp_path, monkeypatch):
    from cli import import_cmd

    monkeypatch.setattr(import_cmd, "CHUNK_ROWS", 7)
    frame = fleet(hours=1, integrations=1).rename(columns={"integration_id": "integration"})
    doubled = pd.concat([frame, frame.iloc[:20]])  # duplicates land in other chunks
    path = tmp_path / "history.csv"
    doubled.to_csv(path, index=False)
    result = cli("import", str(path))
    assert result.code == 0, result.err
    assert f"{len(doubled)} rows, {len(frame)} new" in result.out
    assert "0 new" in cli("import", str(path)).out


def test_re_offering_a_stored_batch_writes_nothing_and_leaves_nothing_to_roll_up(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    store.write_samples(fleet(hours=2), source="t")
    store.rollup()
    again = store.write_samples(fleet(hours=2), source="t")
    assert again.written == 0
    assert store.scalar("SELECT count(*) FROM rollup_dirty") == 0
    assert store.rollup() == 0


def test_a_batch_offered_again_is_recognised_without_joining_stored_samples(tmp_path):
    store = Store(tmp_path / "s.duckdb")
    store.migrate()
    first = store.write_samples(fleet(hours=2), source="t")
    # the same keys with other values: recognised by its keys, the stored values stay
    again = store.write_samples(fleet(hours=2).assign(value=-1.0), source="t")
    assert (first.written, again.written) == (12 * 60, 0)
    assert store.scalar("SELECT count(*) FROM sample_batches") == 1
    assert store.scalar("SELECT min(value) FROM samples") >= 0
    # a batch that overlaps but is not the same one still adds its new keys
    more = store.write_samples(fleet(hours=3), source="t")
    assert more.written == 6 * 60 and store.sample_count() == 18 * 60
