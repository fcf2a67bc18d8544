"""Job runs numbered on their boundary samples (migration 108) are 061's runs.

061's `job_runs_between` numbered runs with a window over every active throughput sample; 108
numbers only the samples that open or close a run. Loaded from 061's file as the reference, both
must return the same rows on irregular series: zeros, gaps of several steps, half steps, three
spacings, batch and file jobs, narrow and wide windows, all jobs or a list.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from seamwatch.store import Store

MIGRATIONS = Path(__file__).resolve().parents[1] / "seamwatch/store/migrations"
T0 = datetime(2026, 11, 1, tzinfo=UTC)


def reference_macro() -> str:
    text = (MIGRATIONS / "061_job_runs.sql").read_text()
    macro = text[text.index("CREATE OR REPLACE MACRO") : text.index("-- v_job_runs")]
    return macro.replace("MACRO job_runs_between(", "MACRO job_runs_061(")


@pytest.fixture(scope="module")
def store(tmp_path_factory) -> Store:
    rng = np.random.default_rng(5)
    s = Store(tmp_path_factory.mktemp("jobs") / "s.duckdb")
    s.migrate()
    frames = []
    for i in range(24):
        step = (60, 300, 900)[i % 3]
        n = 1500 if step == 60 else 500
        gaps = rng.choice([step, step, step, 2 * step, 5 * step, step // 2], n)
        ts = T0 + pd.to_timedelta(np.cumsum(gaps), unit="s")
        values = np.where(rng.random(n) < 0.3, 0.0, rng.random(n) * 10)
        frames.append(
            pd.DataFrame(
                {"ts": ts, "integration_id": f"job-{i}", "metric": "throughput", "value": values}
            )
        )
    s.write_samples(pd.concat(frames), source="t")
    with s.write() as con:
        con.execute(
            "INSERT INTO integrations (id, name, pattern) SELECT 'job-' || i, 'Job ' || i,"
            " CASE WHEN i % 2 = 0 THEN 'batch' ELSE 'file' END FROM range(24) t(i)"
        )
        con.execute(reference_macro())
    return s


@pytest.mark.parametrize(
    ("lo", "hi"),
    [
        (T0, T0 + timedelta(days=3)),
        (T0 + timedelta(days=1), T0 + timedelta(days=1, hours=5)),
        (T0 - timedelta(days=9), T0 + timedelta(days=40)),
    ],
)
@pytest.mark.parametrize("ids", ["NULL", "['job-1', 'job-4']"])
def test_runs_numbered_on_their_boundaries_are_061s_runs(store, lo, hi, ids):
    sql = "SELECT * FROM {}(CAST(? AS TIMESTAMPTZ), CAST(? AS TIMESTAMPTZ), {}) ORDER BY ALL"
    with store.read() as con:
        expected = con.execute(sql.format("job_runs_061", ids), [lo, hi]).fetchall()
        got = con.execute(sql.format("job_runs_between", ids), [lo, hi]).fetchall()
    assert len(expected) > 0
    assert got == expected
