"""What teams already keep: Backstage catalog entities (tests/fixtures/backstage, real example
files of the Backstage project) and OpenSLO documents (tests/fixtures/openslo)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml
from pytest_httpserver import HTTPServer

from seamwatch.inventory import load_inventory
from seamwatch.openslo import openslo_from_slo, read_documents, slo_from_openslo
from tests.conftest import CONFIG, Workspace

BACKSTAGE = Path(__file__).parent / "fixtures" / "backstage"
OPENSLO = Path(__file__).parent / "fixtures" / "openslo"


@pytest.fixture
def catalog(workspace: Workspace) -> Path:
    folder = workspace.root / "catalog"
    shutil.copytree(BACKSTAGE, folder)
    (folder / "README.md").unlink()
    return folder


def test_import_backstage_writes_reviewable_entries_that_load(
    workspace: Workspace, catalog: Path, cli
) -> None:
    out = workspace.root / "inventory" / "backstage.toml"
    result = cli("inventory", "import-backstage", str(catalog / "*.yaml"), "--out", str(out))
    assert result.code == 0, result.err
    assert "wrote 2 integrations" in result.out and "1 spec file(s)" in result.out
    inv = load_inventory(["inventory/*.toml"], workspace.root)
    assert not inv.errors, inv.errors
    api = inv.get("petstore")
    assert api is not None
    assert api.owner == "team-c" and api.pattern.value == "sync-api"
    assert api.lifecycle.value == "planned"  # spec.lifecycle: experimental
    assert api.source_system == "petstore"  # the component that providesApis it
    assert api.contract.spec == "specs/petstore.yaml" and api.contract.version == "1.0.0"
    assert (out.parent / "specs" / "petstore.yaml").read_text().startswith('openapi: "3.0.0"')
    dependency = inv.get("artist-lookup-to-artists-db")
    assert dependency is not None
    assert dependency.owner == "team-a"
    assert dependency.contacts == ["team-a@example.com"]  # the Group's profile.email
    assert (dependency.source_system, dependency.target_system) == ("artist-lookup", "artists-db")
    assert dependency.tags == ["data", "java"]
    text = out.read_text()
    assert "# from Backstage api petstore" in text and "# failure_handling = {" in text
    again = cli("inventory", "import-backstage", str(catalog / "*.yaml"), "--out", str(out))
    assert again.code == 2 and "exists already" in again.err


def test_the_imported_spec_file_is_checked_like_any_contract(
    workspace: Workspace, catalog: Path, cli
) -> None:
    out = workspace.root / "inventory" / "backstage.toml"
    cli("inventory", "import-backstage", str(catalog / "*.yaml"), "--out", str(out))
    result = cli("contracts", "check", "--format", "csv")
    assert "petstore,ok,OpenAPI 3.0.0,1.0.0" in result.out


def test_annotations_fill_what_the_catalog_does_not_know(
    workspace: Workspace, catalog: Path, cli
) -> None:
    api = yaml.safe_load((catalog / "petstore-api.yaml").read_text())
    api["metadata"]["annotations"] = {
        "seamwatch.io/tier": "1",
        "seamwatch.io/slo-latency-p95-ms": "300",
        "seamwatch.io/failure-retries": "exponential, max 5",
        "seamwatch.io/failure-idempotency-key": "petId",
        "seamwatch.io/failure-dlq": "none: synchronous",
    }
    api["spec"]["lifecycle"] = "production"
    (catalog / "petstore-api.yaml").write_text(yaml.safe_dump(api, sort_keys=False))
    result = cli("inventory", "import-backstage", str(catalog / "petstore-api.yaml"))
    assert result.code == 0, result.err
    assert "tier = 1" in result.out and 'lifecycle = "active"' in result.out
    assert "slo = { latency_p95_ms = 300.0 }" in result.out
    assert (
        'failure_handling = { retries = "exponential, max 5", idempotency_key = "petId"'
        in result.out
    )


def test_a_bad_entity_is_one_line_and_never_stops_the_rest(
    workspace: Workspace, catalog: Path, cli
) -> None:
    (catalog / "template.yaml").write_text(
        "apiVersion: scaffolder.backstage.io/v1beta3\nkind: Template\nmetadata:\n  name: new-svc\n"
    )
    (catalog / "broken-api.yaml").write_text(
        "apiVersion: backstage.io/v1alpha1\nkind: API\nmetadata:\n  name: broken\n"
        "  annotations:\n    seamwatch.io/tier: '9'\nspec:\n  type: openapi\n  owner: team-a\n"
    )
    result = cli("inventory", "import-backstage", str(catalog / "*.yaml"))
    assert result.code == 2
    lines = result.err.strip().splitlines()
    assert (
        f"seamwatch: {catalog / 'template.yaml'}: entity[0] (new-svc).kind: 'Template' is not a catalog kind"
        in lines[0]
    )
    assert any(
        line.startswith(f"seamwatch: {catalog / 'broken-api.yaml'}: entity[0] (broken): tier: 9:")
        and "from annotation seamwatch.io/" in line
        for line in lines
    ), lines
    assert 'id = "petstore"' in result.out and 'id = "artist-lookup-to-artists-db"' in result.out


def test_catalogs_are_read_directly_from_inventory_backstage(
    workspace: Workspace, catalog: Path, cli
) -> None:
    workspace.write(
        "config.toml",
        CONFIG.replace(
            'paths = ["inventory/*.toml"]',
            'paths = ["inventory/*.toml"]\nbackstage = ["catalog/*.yaml"]',
        ),
    )
    result = cli("check")
    assert result.code == 0, result.out
    assert "inventory: 4 integrations in 3 files" in result.out
    scorecard = cli("scorecard", "--integration", "petstore")
    assert scorecard.code == 0 and "team-c" in scorecard.out


def test_catalogs_are_read_from_a_url(web: HTTPServer, workspace: Workspace, cli) -> None:
    for entity in ("petstore-component.yaml", "petstore-api.yaml"):
        web.expect_request(f"/{entity}").respond_with_data((BACKSTAGE / entity).read_text())
    location = (
        "apiVersion: backstage.io/v1alpha1\nkind: Location\nmetadata:\n  name: all\n"
        "spec:\n  targets:\n    - ./petstore-component.yaml\n    - ./petstore-api.yaml\n"
    )
    web.expect_request("/catalog-info.yaml").respond_with_data(location)
    result = cli("inventory", "import-backstage", web.url_for("/catalog-info.yaml"))
    assert result.code == 0, result.err
    assert 'id = "petstore"' in result.out and 'source_system = "petstore"' in result.out


def test_openslo_examples_import_to_an_slo(workspace: Workspace, cli) -> None:
    result = cli(
        "inventory", "slo-import", str(OPENSLO / "occurences-slo.yaml"), str(OPENSLO / "ratio-timeslices.yaml"),
        "--integration", "crm-orders-to-erp",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.out.strip().splitlines()[-1] == (
        'slo = { latency_p95_ms = 500.0, window = "14d", error_rate = 0.01 }'
    )


def test_slo_export_and_import_round_trip(workspace: Workspace, cli, tmp_path: Path) -> None:
    out = tmp_path / "slo.yaml"
    assert cli("inventory", "slo-export", "crm-orders-to-erp", "--out", str(out)).code == 0
    docs = list(yaml.safe_load_all(out.read_text()))
    assert [d["kind"] for d in docs] == ["SLO", "SLO"]
    assert all(d["apiVersion"] == "openslo/v1" for d in docs)
    assert slo_from_openslo(read_documents(out.read_text(), source="slo.yaml")) == {
        "latency_p95_ms": 800.0,
        "error_rate": 0.01,
        "window": "30d",
    }
    missing = cli("inventory", "slo-export", "payments-webhook")
    assert missing.code == 2 and "has no latency_p95_ms or error_rate SLO" in missing.err


def test_a_foreign_document_is_refused_naming_the_file(workspace: Workspace, cli) -> None:
    result = cli("inventory", "slo-import", str(BACKSTAGE / "petstore-api.yaml"))
    assert result.code == 2
    assert result.err.startswith(
        f"seamwatch: {BACKSTAGE / 'petstore-api.yaml'}: petstore-api.yaml document[0].apiVersion: "
        "'backstage.io/v1alpha1' is not an OpenSLO v1 document"
    )


def test_export_integration_with_only_latency() -> None:
    from tests.detector_series import integration

    docs = openslo_from_slo(integration("x", slo={"latency_p95_ms": 250, "window": "7d"}))
    assert len(docs) == 1 and docs[0]["spec"]["timeWindow"] == [
        {"duration": "7d", "isRolling": True}
    ]
