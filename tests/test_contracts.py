"""Contracts that are checked: real public specs (tests/fixtures/contracts/, see its README),
served from 127.0.0.1 by a real HTTP server and read from files, then edited to break them."""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import yaml
from pytest_httpserver import HTTPServer

from collectors.contract_diff import diff
from collectors.contracts import inspect
from seamwatch.store import Store
from tests.conftest import CONFIG, Workspace

FIXTURES = Path(__file__).parent / "fixtures" / "contracts"
TOKEN = "s3cret-spec-token"


def fixture(name: str) -> dict[str, Any]:
    return yaml.safe_load((FIXTURES / name).read_text())


def dump(doc: dict[str, Any]) -> str:
    return yaml.safe_dump(doc, sort_keys=False)


INVENTORY = """
[defaults]
owner = "platform"
contacts = ["platform@example.com"]
source_system = "A"
target_system = "B"
last_review = 2026-11-01

[[integration]]
id = "pets-api"
name = "Pet store API"
pattern = "sync-api"
tier = 1
contract = {{ spec = "{base}/pets.yaml" }}

[[integration]]
id = "lights-events"
name = "Streetlights (AsyncAPI 3.0)"
pattern = "event"
tier = 2
contract = {{ spec = "{base}/lights.yaml" }}

[[integration]]
id = "lights-v2"
name = "Streetlights (AsyncAPI 2.6, a file)"
pattern = "event"
tier = 3
contract = {{ spec = "specs/asyncapi-2.6-streetlights-kafka.yml" }}

[[integration]]
id = "pets-v2"
name = "Pet store (Swagger 2.0, a file)"
pattern = "sync-api"
tier = 3
contract = {{ spec = "specs/openapi-v2.0-petstore.yaml" }}

[[integration]]
id = "webhooks-31"
name = "Webhooks (OpenAPI 3.1)"
pattern = "event"
tier = 3
contract = {{ spec = "{base}/webhooks.json" }}

[[integration]]
id = "gone"
name = "Spec that is gone"
pattern = "sync-api"
tier = 3
contract = {{ spec = "{base}/missing.yaml" }}
"""


@pytest.fixture
def contracts_ws(
    workspace: Workspace, web: HTTPServer, monkeypatch: pytest.MonkeyPatch
) -> Workspace:
    monkeypatch.setenv("SPEC_TOKEN", TOKEN)
    base = web.url_for("").rstrip("/")
    workspace.write("inventory/payments.toml", INVENTORY.format(base=base))
    specs = workspace.root / "inventory" / "specs"
    specs.mkdir(parents=True)
    for name in ("asyncapi-2.6-streetlights-kafka.yml", "openapi-v2.0-petstore.yaml"):
        (specs / name).write_text((FIXTURES / name).read_text())
    workspace.write(
        "config.toml", CONFIG + '\n[contracts]\nbearer_token = "${SPEC_TOKEN}"\ninterval = "1h"\n'
    )
    return workspace


def serve(web: HTTPServer, pets: dict, lights: dict, webhooks: dict | str) -> None:
    web.clear()
    auth = {"Authorization": f"Bearer {TOKEN}"}
    web.expect_request("/pets.yaml", headers=auth).respond_with_data(dump(pets))
    web.expect_request("/lights.yaml", headers=auth).respond_with_data(dump(lights))
    body = webhooks if isinstance(webhooks, str) else dump(webhooks)
    web.expect_request("/webhooks.json", headers=auth).respond_with_data(body)
    web.expect_request("/missing.yaml").respond_with_data("no such spec", status=404)


def rows(ws: Workspace, sql: str) -> list[tuple]:
    with Store(ws.store_path).read() as con:
        return con.execute(sql).fetchall()


def open_findings(ws: Workspace) -> dict[tuple[str, str], str]:
    found = rows(
        ws, "SELECT integration_id, detector, summary FROM v_findings WHERE status = 'open'"
    )
    return {(i, d): s for i, d, s in found}


def broken_pets(pets: dict) -> dict:
    new = copy.deepcopy(pets)
    del new["paths"]["/pets/{id}"]["delete"]
    new["components"]["schemas"]["NewPet"]["required"].append("tag")
    new["components"]["schemas"]["NewPet"]["properties"]["name"]["type"] = "integer"
    new["paths"]["/pets/{id}"]["get"]["responses"]["200"]["content"]["application/json"][
        "schema"
    ] = {"type": "object", "properties": {"id": {"type": "integer"}}}
    new["paths"]["/owners"] = {  # an addition: compatible
        "get": {"operationId": "listOwners", "responses": {"200": {"description": "owners"}}}
    }
    new["info"]["version"] = "2.0.0"
    return new


def broken_lights(lights: dict) -> dict:
    new = copy.deepcopy(lights)
    del new["channels"]["lightsDim"]
    del new["operations"]["dimLight"]
    command = new["components"]["schemas"]["turnOnOffPayload"]["properties"]["command"]
    command["enum"] = ["on"]
    new["info"]["version"] = "1.1.0"
    return new


def test_every_spec_version_is_kept_and_breaking_changes_open_findings(
    contracts_ws: Workspace, web: HTTPServer, cli
) -> None:
    pets = fixture("openapi-v3.0-petstore-expanded.yaml")
    lights = fixture("asyncapi-3.0-streetlights-kafka.yml")
    webhooks = fixture("openapi-v3.1-webhook-example.yaml")
    serve(web, pets, lights, webhooks)

    first = cli("contracts", "check", "--format", "json")
    assert first.code == 1  # the missing spec
    assert rows(contracts_ws, "SELECT integration_id, status, format, spec_version, versions FROM v_contracts ORDER BY 1") == [
        ("gone", "unreachable", None, None, None),
        ("lights-events", "ok", "asyncapi", "3.0.0", 1),
        ("lights-v2", "ok", "asyncapi", "2.6.0", 1),
        ("pets-api", "ok", "openapi", "3.0.0", 1),
        ("pets-v2", "ok", "openapi", "2.0", 1),
        ("webhooks-31", "ok", "openapi", "3.1.0", 1),
    ]  # fmt: skip
    found = open_findings(contracts_ws)
    assert set(found) == {("gone", "contract_unreachable")}
    assert found[("gone", "contract_unreachable")].startswith(
        "contract spec unreachable: HTTP 404 Not Found from GET http://127.0.0.1:"
    )

    serve(web, broken_pets(pets), broken_lights(lights), webhooks)
    second = cli("contracts", "check")
    assert second.code == 1
    found = open_findings(contracts_ws)
    pets_finding = found[("pets-api", "contract_breaking")]
    assert pets_finding.startswith("7 breaking changes in the contract (1.0.0 → 2.0.0): ")
    assert "removed operation DELETE /pets/{id}" in pets_finding
    assert "response field body.name of GET /pets/{id} response 200" in pets_finding
    lights_finding = found[("lights-events", "contract_breaking")]
    assert "removed channel smartylighting.streetlights.1.0.action.{streetlightId}.dim" in (
        lights_finding
    )
    changes = rows(
        contracts_ws,
        "SELECT breaking, kind, description FROM v_contract_changes "
        "WHERE integration_id = 'pets-api' ORDER BY breaking DESC, location",
    )
    described = {d for _, _, d in changes}
    assert "new required request field body.tag of POST /pets" not in described  # it existed
    assert "request field body.tag of POST /pets is now required" in described
    assert "request field body.name of POST /pets changed type from string to integer" in described
    assert "removed response field body.name of GET /pets/{id} response 200" in described
    assert (False, "added_path", "added path /owners") in changes
    narrowed = rows(
        contracts_ws,
        "SELECT description FROM v_contract_changes WHERE kind = 'narrowed_enum'",
    )
    assert ("payload field payload.command of message turnOnOff on "
            "smartylighting.streetlights.1.0.action.{streetlightId}.turn.on no longer allows off",) in narrowed  # fmt: skip
    severities = rows(
        contracts_ws,
        "SELECT integration_id, severity FROM v_findings WHERE detector = 'contract_breaking'",
    )
    assert sorted(severities) == [("lights-events", "warning"), ("pets-api", "critical")]  # tier 1

    third = cli("contracts", "check")  # nothing new: no new version, the finding stays
    assert third.code == 1
    assert rows(
        contracts_ws, "SELECT versions FROM v_contracts WHERE integration_id = 'pets-api'"
    ) == [(2,)]
    assert ("pets-api", "contract_breaking") in open_findings(contracts_ws)
    card = rows(
        contracts_ws,
        "SELECT status, reason FROM v_scorecard WHERE integration_id = 'pets-api' "
        "AND check_name = 'contract_valid'",
    )
    assert card[0][0] == "yes" and card[0][1].startswith("valid OpenAPI 3.0.0, version 2.0.0")


def test_an_invalid_or_foreign_spec_is_a_finding_and_the_rest_still_checked(
    contracts_ws: Workspace, web: HTTPServer, cli
) -> None:
    pets = fixture("openapi-v3.0-petstore-expanded.yaml")
    broken = copy.deepcopy(pets)
    del broken["info"]
    lights = fixture("asyncapi-3.0-streetlights-kafka.yml")
    lights["channels"]["lightsDim"]["messages"] = "not a map"
    serve(web, broken, lights, "apiVersion: backstage.io/v1alpha1\nkind: Component\n")
    result = cli("contracts", "check")
    assert result.code == 1
    found = open_findings(contracts_ws)
    assert found[("pets-api", "contract_invalid")] == (
        "contract spec is not valid: invalid OpenAPI 3.0.0: 'info' is a required property"
    )
    assert found[("lights-events", "contract_invalid")].startswith(
        "contract spec is not valid: invalid AsyncAPI 3.0.0 at channels/lightsDim/messages: "
    )
    assert found[("webhooks-31", "contract_invalid")] == (
        "contract spec is not valid: not an OpenAPI or AsyncAPI document: no openapi, swagger "
        "or asyncapi key (has apiVersion, kind)"
    )
    ok = rows(contracts_ws, "SELECT integration_id FROM v_contracts WHERE status = 'ok' ORDER BY 1")
    assert ok == [("lights-v2",), ("pets-v2",)]
    # fixed: the invalid findings resolve at the next check
    serve(
        web,
        pets,
        fixture("asyncapi-3.0-streetlights-kafka.yml"),
        fixture("openapi-v3.1-webhook-example.yaml"),
    )
    cli("contracts", "check")
    assert set(open_findings(contracts_ws)) == {("gone", "contract_unreachable")}


def test_without_the_token_the_spec_is_unreachable(
    contracts_ws: Workspace, web: HTTPServer, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    serve(web, fixture("openapi-v3.0-petstore-expanded.yaml"), {}, {})
    monkeypatch.setenv("SPEC_TOKEN", "wrong")
    cli("contracts", "check")
    assert ("pets-api", "contract_unreachable") in open_findings(contracts_ws)


def test_bad_contracts_config_is_one_line(contracts_ws: Workspace, cli) -> None:
    contracts_ws.write("config.toml", CONFIG + '\n[contracts]\ninterval = "soon"\n')
    result = cli("check")
    assert result.code == 2
    assert "contracts.interval" in result.out and "'soon'" in result.out


@pytest.mark.parametrize(
    "name",
    [
        "openapi-v2.0-petstore.yaml",
        "openapi-v3.0-petstore-expanded.yaml",
        "openapi-v3.1-webhook-example.yaml",
        "asyncapi-2.6-streetlights-kafka.yml",
        "asyncapi-3.0-streetlights-kafka.yml",
    ],
)
def test_the_public_examples_are_valid_and_equal_to_themselves(name: str) -> None:
    body = (FIXTURES / name).read_bytes()
    check = inspect("x", name, body)
    assert check.status == "ok", check.error
    assert diff(check.document, check.document) == []  # type: ignore[arg-type]


def test_swagger_2_new_required_query_parameter_is_breaking() -> None:
    old = fixture("openapi-v2.0-petstore.yaml")
    new = copy.deepcopy(old)
    new["paths"]["/pets"]["get"]["parameters"].append(
        {"name": "store", "in": "query", "required": True, "type": "string"}
    )
    [change] = diff(old, new)
    assert change.breaking and change.description == (
        "new required request field query.store of GET /pets"
    )


def test_the_scheduler_checks_contracts_when_configured(contracts_ws: Workspace) -> None:
    from cli.scheduler import build_scheduler
    from seamwatch.config import load_settings

    scheduler = build_scheduler(
        load_settings(contracts_ws.config), now=datetime(2026, 11, 20, tzinfo=UTC)
    )
    try:
        assert "contracts" in {job.id for job in scheduler.get_jobs()}
    finally:
        scheduler.seamwatch_metrics.close()  # type: ignore[attr-defined]


def test_integration_page_shows_the_spec_versions_and_the_last_diff(
    contracts_ws: Workspace, web: HTTPServer, cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    from tests.test_app_pages import open_page, texts

    pets = fixture("openapi-v3.0-petstore-expanded.yaml")
    lights = fixture("asyncapi-3.0-streetlights-kafka.yml")
    webhooks = fixture("openapi-v3.1-webhook-example.yaml")
    serve(web, pets, lights, webhooks)
    cli("contracts", "check")
    serve(web, broken_pets(pets), lights, webhooks)
    cli("contracts", "check")
    at = open_page(contracts_ws, monkeypatch, "views/integration.py", integration="pets-api")  # type: ignore[arg-type]
    shown = texts(at)
    assert "valid" in shown and "2 version(s) kept" in shown
    assert "version 1 (1.0.0) → 2 (2.0.0)" in shown
    tables = [d.value for d in at.dataframe]
    versions = next(t for t in tables if "api_version" in t.columns)
    assert list(versions["api_version"]) == ["2.0.0", "1.0.0"]
    last = next(t for t in tables if "change" in t.columns and "location" in t.columns)
    assert "removed operation DELETE /pets/{id}" in set(last["description"])
    assert {"breaking", "compatible"} == set(last["change"])
