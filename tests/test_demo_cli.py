"""`seamwatch demo` and `seamwatch up`: simulated history only where it is wanted; a dashboard
that cannot start stops `up`."""

from __future__ import annotations

import duckdb

from collectors.demo import emitting_ids
from tests.conftest import CONFIG

NO_DEMO_CONFIG = CONFIG.replace(
    '[[sources]]\nname = "demo"\nkind = "demo"\ninterval = "60s"\nseed = 7\n', ""
)


def sample_sources(workspace) -> dict[str, int]:
    if not workspace.store_path.exists():
        return {}
    con = duckdb.connect(str(workspace.store_path), read_only=True)
    try:
        return dict(con.execute("SELECT source, count(*) FROM samples GROUP BY 1").fetchall())
    finally:
        con.close()


def import_real_samples(cli, tmp_path) -> None:
    path = tmp_path / "real.csv"
    path.write_text(
        "ts,integration,metric,value\n"
        "2026-11-01T00:00:00Z,crm-orders-to-erp,throughput,12\n"
        "2026-11-01T00:01:00Z,crm-orders-to-erp,throughput,13\n"
    )
    assert cli("import", str(path)).code == 0


def test_demo_without_a_demo_source_is_refused_unless_forced(cli, workspace):
    workspace.write("config.toml", NO_DEMO_CONFIG)
    refused = cli("demo", "--weeks", "1")
    assert refused.code == 2
    assert 'no source with kind = "demo"' in refused.err and "--force" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert sample_sources(workspace) == {}

    forced = cli("demo", "--weeks", "1", "--force")
    assert forced.code == 0, forced.err
    assert set(sample_sources(workspace)) == {"demo"}


def test_demo_refuses_a_store_with_real_samples(cli, workspace, tmp_path):
    import_real_samples(cli, tmp_path)
    refused = cli("demo", "--weeks", "1")
    assert refused.code == 2
    assert "holds 2 samples of other sources (import:real.csv)" in refused.err
    assert len(refused.err.strip().splitlines()) == 1
    assert sample_sources(workspace) == {"import:real.csv": 2}

    forced = cli("demo", "--weeks", "1", "--force")
    assert forced.code == 0, forced.err
    assert sample_sources(workspace)["import:real.csv"] == 2


def test_demo_may_top_up_its_own_history(cli):
    assert cli("demo", "--weeks", "1").code == 0
    assert cli("demo", "--weeks", "1").code == 0


def test_demo_counts_the_integrations_it_wrote_not_the_inventory(cli):
    result = cli("demo", "--weeks", "1")
    assert result.code == 0, result.err
    # the workspace inventory lists 2 integrations; the demo fleet emits for more
    assert f"for {len(emitting_ids())} integrations" in result.out
