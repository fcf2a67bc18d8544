"""The contracts job: fetch every integration's OpenAPI or AsyncAPI document, validate it, and
keep every distinct version with its changes against the one before.

Collection, like a source: it turns each `contract.spec` (an http(s) URL fetched with the
`[contracts]` section's auth and TLS options, the same keys as an HTTP source's; or a file path,
relative to the inventory file that declares it) into rows of the store. What those rows mean
(a breaking change, an unreachable spec) is the contract detector's business.

Validation uses the reference libraries: openapi-spec-validator for OpenAPI 2.0, 3.0 and 3.1,
and jsonschema against the official AsyncAPI JSON schemas (2.0 to 3.1, vendored from
github.com/asyncapi/spec-json-schemas, Apache-2.0, in collectors/specs/asyncapi/).
"""

from __future__ import annotations

import hashlib
import json
import logging
from datetime import datetime, timedelta
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import yaml
from jsonschema import Draft7Validator
from jsonschema.exceptions import best_match
from openapi_spec_validator import validate as validate_openapi
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError

from collectors.contract_diff import diff
from collectors.http import HttpOptions, Request, fetch_all
from seamwatch.config import Settings, validate_section
from seamwatch.durations import Duration
from seamwatch.inventory import Inventory
from seamwatch.store import Store
from seamwatch.store.contracts import ContractCheck, SpecChange, current_versions, record_checks

log = logging.getLogger(__name__)

MAX_BYTES = 10 * 1024 * 1024


class ContractsOptions(HttpOptions):
    """`[contracts]`: how often specs are checked (`seamwatch run` schedules it when the section
    exists and `enabled` is true), the fetch timeout, and the HTTP sources' auth and TLS keys."""

    enabled: bool = True
    interval: Duration = timedelta(hours=6)
    timeout: Duration = timedelta(seconds=10)


def load_contracts_options(settings: Settings) -> ContractsOptions:
    """The validated `[contracts]` section."""
    return validate_section(ContractsOptions, settings, "contracts")


def scheduled(settings: Settings) -> bool:
    """Whether `seamwatch run` checks contracts on a schedule: a `[contracts]` section, enabled."""
    return bool(settings.contracts) and load_contracts_options(settings).enabled


def spec_location(spec: str, origin: Path | None) -> str:
    """An http(s) URL as written; a file path (or file:// URL) made absolute against the
    directory of the inventory file that declares it."""
    parts = urlsplit(spec)
    if parts.scheme in ("http", "https"):
        return spec
    path = Path(unquote(parts.path)) if parts.scheme == "file" else Path(spec).expanduser()
    if not path.is_absolute() and origin is not None:
        path = origin.parent / path
    return str(path)


def check_all(
    inventory: Inventory, options: ContractsOptions, current: dict[str, Any] | None = None
) -> list[ContractCheck]:
    """Fetch, parse and validate every declared spec; one bad spec never stops the rest.

    `current` (integration -> CurrentVersion) lets a changed document carry its changes."""
    current = current or {}
    targets = {
        i.id: spec_location(i.contract.spec, inventory.origin.get(i.id))
        for i in inventory
        if i.contract.spec and i.lifecycle.value != "retired"
    }
    urls = {iid: loc for iid, loc in targets.items() if loc.startswith(("http://", "https://"))}
    fetched = fetch_all(
        [Request(url, key=iid) for iid, url in urls.items()],
        options,
        options.timeout.total_seconds(),
    )
    bodies: dict[str, tuple[bytes | None, str | None]] = {}
    for f in fetched:
        body, problem = f.ok_body()
        bodies[f.request.key] = (body, None if problem is None else str(problem))
    for iid, location in targets.items():
        if iid not in urls:
            bodies[iid] = _read_file(Path(location))
    checks = []
    for iid, location in sorted(targets.items()):
        body, error = bodies[iid]
        if error is not None or body is None:
            checks.append(ContractCheck(iid, location, "unreachable", error or "empty answer"))
            continue
        check = inspect(iid, location, body)
        was = current.get(iid)
        if check.status == "ok" and was is not None and was.digest != check.digest:
            check.changes = [
                SpecChange(c.breaking, c.kind, c.location, c.description)
                for c in diff(was.document, check.document or {})
            ]
        checks.append(check)
    return checks


def _read_file(path: Path) -> tuple[bytes | None, str | None]:
    try:
        if path.stat().st_size > MAX_BYTES:
            return None, f"{path} is larger than {MAX_BYTES // 1024 // 1024} MB"
        return path.read_bytes(), None
    except FileNotFoundError:
        return None, f"file not found: {path}"
    except OSError as exc:
        return None, f"cannot read {path}: {exc.strerror or exc}"


def inspect(integration_id: str, location: str, body: bytes) -> ContractCheck:
    """Parse one document (YAML or JSON) and validate it as OpenAPI or AsyncAPI."""
    try:
        doc = yaml.safe_load(body.decode("utf-8"))
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        first = str(exc).strip().splitlines()[0]
        return ContractCheck(integration_id, location, "invalid", f"not YAML or JSON: {first}")
    if not isinstance(doc, dict):
        return ContractCheck(
            integration_id,
            location,
            "invalid",
            "not an OpenAPI or AsyncAPI document (not a mapping)",
        )
    doc = json.loads(json.dumps(doc, default=str))  # dates as text, as in JSON
    if "asyncapi" in doc:
        kind, version, error = "asyncapi", str(doc["asyncapi"]), _asyncapi_error(doc)
    elif "openapi" in doc or "swagger" in doc:
        kind = "openapi"
        version = str(doc.get("openapi") or doc.get("swagger"))
        error = _openapi_error(doc)
    else:
        keys = ", ".join(list(doc)[:5])
        return ContractCheck(
            integration_id,
            location,
            "invalid",
            f"not an OpenAPI or AsyncAPI document: no openapi, swagger or asyncapi key (has {keys})",
        )
    info = doc.get("info") if isinstance(doc.get("info"), dict) else {}
    check = ContractCheck(
        integration_id,
        location,
        "invalid" if error else "ok",
        error,
        format=kind,
        spec_version=version,
        api_version=str(info["version"]) if info.get("version") is not None else None,
        title=str(info["title"]) if info.get("title") is not None else None,
    )
    if not error:
        canonical = json.dumps(doc, sort_keys=True, separators=(",", ":"))
        check.digest = hashlib.sha256(canonical.encode()).hexdigest()
        check.document = doc
    return check


def _openapi_error(doc: dict[str, Any]) -> str | None:
    try:
        validate_openapi(doc)
    except OpenAPIValidationError as exc:
        return f"invalid OpenAPI {_version(doc)}{_at(exc.absolute_path)}: {_short(exc.message)}"
    except Exception as exc:  # unknown version and the library's other refusals
        return f"invalid OpenAPI document: {_short(str(exc))}"
    return None


def _asyncapi_error(doc: dict[str, Any]) -> str | None:
    version = str(doc.get("asyncapi"))
    validator = _asyncapi_validator(".".join(version.split(".")[:2]))
    if validator is None:
        return f"AsyncAPI {version} is not supported (2.0 to 3.1 are)"
    error = best_match(validator.iter_errors(doc))
    if error is None:
        return None
    return f"invalid AsyncAPI {version}{_at(error.absolute_path)}: {_short(error.message)}"


@cache
def _asyncapi_validator(minor: str) -> Draft7Validator | None:
    """The validator of the official schema of an AsyncAPI minor version (2.0 ... 3.1)."""
    name = f"{minor}.0.json"
    folder = resources.files("collectors").joinpath("specs", "asyncapi")
    if not folder.joinpath(name).is_file():
        return None
    return Draft7Validator(json.loads(folder.joinpath(name).read_text("utf-8")))


def _version(doc: dict[str, Any]) -> str:
    return str(doc.get("openapi") or doc.get("swagger"))


def _at(path: Any) -> str:
    parts = [str(p) for p in path]
    return f" at {'/'.join(parts)}" if parts else ""


def _short(message: str, limit: int = 200) -> str:
    line = message.strip().splitlines()[0] if message.strip() else message
    return line if len(line) <= limit else line[: limit - 1] + "…"


def run_contract_checks(
    store: Store, inventory: Inventory, settings: Settings, now: datetime
) -> list[ContractCheck]:
    """One round: read the current versions, check every spec, store checks and new versions."""
    options = load_contracts_options(settings)
    with store.write() as con:
        current = current_versions(con)
    checks = check_all(inventory, options, current)
    with store.write() as con:
        record_checks(con, checks, now)
    return checks


__all__ = [
    "ContractsOptions",
    "check_all",
    "inspect",
    "load_contracts_options",
    "run_contract_checks",
    "scheduled",
    "spec_location",
]
