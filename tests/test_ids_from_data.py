"""Integration ids read from data (a source's answer, an imported file) must be slugs, like the
inventory's: a bad id is refused by name, and nothing else is lost."""

from __future__ import annotations

from datetime import UTC, datetime

import duckdb

from collectors.runner import run_cycle
from collectors.samples import SampleBuilder
from seamwatch.metrics import Metric
from tests.collect_helpers import make_source, values

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)


def test_sample_builder_refuses_a_non_slug_id_once_with_its_count_and_keeps_the_rest():
    builder = SampleBuilder("api")
    builder.add(NOW, "crm-orders-to-erp", Metric.THROUGHPUT, 4, where="tps in /stats")
    builder.add(NOW, "Bad Id!", Metric.THROUGHPUT, 5, where="tps in /stats")
    builder.add(NOW, "Bad Id!", Metric.ERROR_RATE, 0.1, where="err in /stats")
    batch = builder.batch()
    assert batch.samples.column("integration_id").to_pylist() == ["crm-orders-to-erp"]
    assert [f.error for f in batch.failures] == [
        "integration id 'Bad Id!' is not a slug (lower-case letters, digits, '.', '_', '-'; "
        "at most 80 chars), from tps in /stats: 2 sample(s) not stored"
    ]


def test_http_json_with_a_bad_id_stores_the_good_items_and_reports_the_bad_one(
    web, store, inventory
):
    web.expect_request("/stats").respond_with_json(
        {"crm-orders-to-erp": {"tps": 4}, "Bad Id!": {"tps": 5}, "payments-webhook": {"tps": 6}}
    )
    source = make_source("http_json", url=web.url_for("/stats"), metrics={"throughput": "tps"})
    result = run_cycle(source, store, inventory, now=NOW)
    assert values(store) == {
        ("crm-orders-to-erp", "throughput"): 4.0,
        ("payments-webhook", "throughput"): 6.0,
    }
    assert result.status == "partial"
    assert len(result.failures) == 1
    assert result.failures[0].error.startswith("integration id 'Bad Id!' is not a slug")
    assert "from tps in http://127.0.0.1" in result.failures[0].error
    runs = store.query("SELECT status FROM v_runs")
    assert runs.status.tolist() == ["partial"]


def test_import_refuses_a_file_with_a_non_slug_id_naming_file_row_and_value(
    cli, workspace, tmp_path
):
    path = tmp_path / "history.csv"
    path.write_text(
        "ts,integration,metric,value\n"
        "2026-11-01T00:00:00Z,crm-orders-to-erp,throughput,1\n"
        "2026-11-01T00:01:00Z,Very Long Name With Spaces,throughput,2\n"
        "2026-11-01T00:02:00Z,Very Long Name With Spaces,throughput,3\n"
    )
    result = cli("import", str(path))
    assert result.code == 2
    assert result.err.strip() == (
        f"seamwatch: {path}: row 2: column integration: 'Very Long Name With Spaces' is not a "
        "slug (lower-case letters, digits, '.', '_', '-'; at most 80 chars); nothing imported "
        "(2 row(s) with 1 invalid id(s))"
    )
    if workspace.store_path.exists():
        con = duckdb.connect(str(workspace.store_path), read_only=True)
        assert con.execute("SELECT count(*) FROM samples").fetchone()[0] == 0
        con.close()


def test_import_refuses_an_empty_integration_cell(cli, tmp_path):
    path = tmp_path / "history.csv"
    path.write_text(
        "ts,integration,metric,value\n"
        "2026-11-01T00:00:00Z,crm-orders-to-erp,throughput,1\n"
        "2026-11-01T00:01:00Z,,throughput,2\n"
    )
    result = cli("import", str(path))
    assert (
        result.code == 2
        and f"{path}: row 2: column integration: an empty value is not a slug" in result.err
    )
