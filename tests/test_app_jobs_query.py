"""The Integration page reads one integration's job runs without deriving the whole fleet's:
its query must return exactly the rows of v_job_runs for that integration."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest

from app.jobs import RUNS_SHOWN, runs_query
from seamwatch.store import Ping
from tests.detector_series import AS_OF, Fleet, grid, integration, inventory

pytestmark = pytest.mark.pinned_clock

VIEW = """
SELECT started_at, finished_at, duration_s, status, exit_status, body, feed
FROM v_job_runs WHERE integration_id = ?
ORDER BY coalesce(started_at, finished_at) DESC LIMIT ?
"""


def test_page_query_equals_the_view_for_batch_event_and_unknown_integrations(
    tmp_path: Path,
) -> None:
    ts = grid(3, timedelta(minutes=5))
    bursts = np.where((ts // 3600) % 6 == 0, 12.0, 0.0)  # a run every 6 hours
    fleet = Fleet()
    for iid in ("nightly", "stream", "pinged", "data-only"):
        fleet.add(iid, "throughput", ts, bursts)
    store = fleet.store(tmp_path)
    store.sync_inventory(
        inventory(
            integration("nightly", pattern="batch"),
            integration("stream", pattern="event"),
            integration("pinged", pattern="file"),
        ),
        AS_OF,
    )
    store.record_ping(Ping("a", AS_OF - timedelta(hours=3), "pinged", "start"))
    store.record_ping(Ping("b", AS_OF - timedelta(hours=2), "pinged", "success", exit_status=0))
    patterns = {"nightly": "batch", "stream": "event", "pinged": "file", "data-only": None}
    with store.read() as con:
        for iid, pattern in patterns.items():
            sql, params = runs_query(iid, pattern)
            page = con.execute(sql, list(params)).df()
            view = con.execute(VIEW, [iid, RUNS_SHOWN]).df()
            assert page.equals(view), iid
            assert (len(page) > 0) == (iid in ("nightly", "pinged")), iid
