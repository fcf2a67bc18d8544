"""Backstage catalogs as inventory: the entities teams already keep, turned into integrations.

One integration per API entity (the contract is the unit Seamwatch watches): it runs from the
components that provide it (`providesApis`) to those that consume it (`consumesApis`), is owned
by the API's `spec.owner` (contacts from that Group's or User's `profile.email`), its pattern
follows `spec.type` (asyncapi: event; openapi, grpc, graphql, trpc: sync-api) and its lifecycle
`spec.lifecycle` (experimental: planned, production: active, deprecated: deprecated). And one per
`dependsOn` edge from a Component to a Resource (a database, queue, bucket...). Annotations
`seamwatch.io/<key>` set any inventory key the catalog does not know: `tier`, `pattern`,
`chat-route`, `runbook`, `sunset`, `successor`, `slo-latency-p95-ms`, `slo-error-rate`,
`failure-retries`, `failure-idempotency-key`, `failure-dlq`. A link titled "Runbook" is the runbook.

Kinds read: Component, API, System, Resource, Group (and User for contacts, Domain and Location,
whose `targets` are followed). Any other kind is a one-line error naming the file, the entity and
the kind; a bad entity never stops the rest.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpx
import yaml
from pydantic import ValidationError

from seamwatch.config.base import describe, error_loc, loc_to_key
from seamwatch.errors import ConfigError
from seamwatch.inventory import Integration

KINDS = {"component", "api", "system", "resource", "group", "user", "domain", "location"}
API_PATTERNS = {
    "asyncapi": "event",
    "openapi": "sync-api",
    "grpc": "sync-api",
    "graphql": "sync-api",
    "trpc": "sync-api",
}
RESOURCE_PATTERNS = {
    "queue": "event",
    "topic": "event",
    "kafka-topic": "stream",
    "stream": "stream",
    "bucket": "file",
    "s3-bucket": "file",
    "sftp": "file",
    "storage": "file",
}
LIFECYCLES = {"experimental": "planned", "production": "active", "deprecated": "deprecated"}
ANNOTATION = "seamwatch.io/"
DEFAULT_TIER = 3


@dataclass
class Entity:
    """One catalog entity and where it was written."""

    kind: str
    name: str
    namespace: str
    doc: dict[str, Any]
    where: str  # "entity[3] (petstore)"
    path: str  # the catalog file (or URL) it was read from

    @property
    def ref(self) -> str:
        return f"{self.kind}:{self.namespace}/{self.name}"

    @property
    def spec(self) -> dict[str, Any]:
        spec = self.doc.get("spec")
        return spec if isinstance(spec, dict) else {}

    @property
    def metadata(self) -> dict[str, Any]:
        return self.doc["metadata"]

    def annotation(self, key: str) -> str | None:
        value = (self.metadata.get("annotations") or {}).get(ANNOTATION + key)
        return str(value) if value is not None else None


@dataclass
class Catalog:
    """Entities read from catalog files, by ref, and the problems met on the way."""

    entities: dict[str, Entity] = field(default_factory=dict)
    errors: list[ConfigError] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)

    def find(self, ref: str, default_kind: str, namespace: str = "default") -> Entity | None:
        """An entity by reference: `name`, `kind:name`, `kind:ns/name`."""
        kind, _, rest = ref.partition(":") if ":" in ref else (default_kind, "", ref)
        ns, _, name = rest.partition("/") if "/" in rest else (namespace, "", rest)
        return self.entities.get(f"{kind.lower()}:{ns}/{name}")


def read_catalog(locations: list[str], base_dir: Path | None = None) -> Catalog:
    """Read catalog files (paths, globs or http(s) URLs), following Location entities."""
    catalog = Catalog()
    queue = list(locations)
    seen: set[str] = set()
    while queue:
        location = queue.pop(0)
        for target in _expand(location, base_dir, catalog):
            if target in seen:
                continue
            seen.add(target)
            catalog.sources.append(target)
            for entity in _entities(target, catalog):
                if entity.kind == "location":
                    for t in _location_targets(entity, target):
                        queue.append(t)
                    continue
                if entity.ref in catalog.entities:
                    catalog.errors.append(
                        ConfigError(
                            f"{entity.kind} {entity.name!r} is declared twice (first in "
                            f"{catalog.entities[entity.ref].path}); this one is skipped",
                            path=Path(target),
                            key=f"{entity.where}.metadata.name",
                        )
                    )
                    continue
                catalog.entities[entity.ref] = entity
    return catalog


def _expand(location: str, base_dir: Path | None, catalog: Catalog) -> list[str]:
    if urlsplit(location).scheme in ("http", "https"):
        return [location]
    import glob

    path = Path(location).expanduser()
    if not path.is_absolute() and base_dir is not None:
        path = base_dir / path
    matches = sorted(glob.glob(str(path), recursive=True))
    if not matches:
        catalog.errors.append(ConfigError("matches no catalog file", path=path))
    return matches


def _location_targets(entity: Entity, origin: str) -> list[str]:
    targets = [
        *(entity.spec.get("targets") or []),
        *([entity.spec["target"]] if entity.spec.get("target") else []),
    ]
    if urlsplit(origin).scheme in ("http", "https"):
        return [urljoin(origin, str(t)) for t in targets]
    return [
        str(t)
        if Path(str(t)).is_absolute() or "://" in str(t)
        else str(Path(origin).parent / str(t))
        for t in targets
    ]


def _entities(location: str, catalog: Catalog) -> list[Entity]:
    try:
        if urlsplit(location).scheme in ("http", "https"):
            response = httpx.get(location, timeout=10, follow_redirects=True)
            if response.status_code != 200:
                raise OSError(f"HTTP {response.status_code} from GET {location}")
            text = response.text
        else:
            text = Path(location).read_text(encoding="utf-8")
        docs = list(yaml.safe_load_all(text))
    except (OSError, httpx.HTTPError, UnicodeDecodeError) as exc:
        catalog.errors.append(ConfigError(f"cannot read the catalog: {exc}", path=Path(location)))
        return []
    except yaml.YAMLError as exc:
        first = str(exc).strip().splitlines()[0]
        catalog.errors.append(ConfigError(f"YAML syntax error: {first}", path=Path(location)))
        return []
    out = []
    for index, doc in enumerate(docs):
        where = f"entity[{index}]"
        if doc is None:
            continue
        if not isinstance(doc, dict):
            catalog.errors.append(ConfigError("is not a mapping", path=Path(location), key=where))
            continue
        kind = str(doc.get("kind", ""))
        metadata = doc.get("metadata")
        if not isinstance(metadata, dict) or not metadata.get("name"):
            catalog.errors.append(
                ConfigError(
                    "has no metadata.name", path=Path(location), key=f"{where}.metadata.name"
                )
            )
            continue
        name = str(metadata["name"])
        if kind.lower() not in KINDS:
            catalog.errors.append(
                ConfigError(
                    f"{kind!r} is not a catalog kind Seamwatch reads (Component, API, System, "
                    "Resource, Group, User, Domain, Location)",
                    path=Path(location),
                    key=f"{where} ({name}).kind",
                )
            )
            continue
        ns = str(metadata.get("namespace") or "default")
        out.append(Entity(kind.lower(), name, ns, doc, f"{where} ({name})", location))
    return out


def slug(text: str) -> str:
    """A Backstage name as an inventory id."""
    value = re.sub(r"[^a-z0-9._-]+", "-", text.lower()).strip("-._")
    return value[:80] or "entity"


@dataclass
class Imported:
    """One integration from the catalog: its inventory values (for TOML) and where it came from."""

    values: dict[str, Any]
    entity: Entity
    origin: str
    inline_spec: str | None = None  # an API's inline definition, to be written next to the TOML


def integrations(catalog: Catalog) -> tuple[list[Imported], list[ConfigError]]:
    """Integrations derived from the catalog, each validated; problems one line each."""
    out: list[Imported] = []
    errors: list[ConfigError] = []
    providers: dict[str, list[str]] = {}
    consumers: dict[str, list[str]] = {}
    for entity in catalog.entities.values():
        if entity.kind != "component":
            continue
        for relation, table in (("providesApis", providers), ("consumesApis", consumers)):
            for ref in entity.spec.get(relation) or []:
                api = catalog.find(str(ref), "api", entity.namespace)
                key = api.ref if api else f"api:{entity.namespace}/{ref}"
                table.setdefault(key, []).append(_title(entity))
    for entity in catalog.entities.values():
        if entity.kind == "api":
            item = _from_api(
                catalog, entity, providers.get(entity.ref, []), consumers.get(entity.ref, [])
            )
        elif entity.kind == "component":
            for ref in entity.spec.get("dependsOn") or []:
                resource = catalog.find(str(ref), "component", entity.namespace)
                if resource is None or resource.kind != "resource":
                    continue
                candidate = _from_dependency(catalog, entity, resource)
                _validated(candidate, errors, out)
            continue
        else:
            continue
        _validated(item, errors, out)
    out.sort(key=lambda i: i.values["id"])
    return out, errors


def _validated(item: Imported, errors: list[ConfigError], out: list[Imported]) -> None:
    values = {
        k: v
        for k, v in item.values.items()
        if v not in (None, [], {}, "") and not k.startswith("_")
    }
    try:
        Integration.model_validate(values)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        annotation = (
            f" (from annotation {ANNOTATION}…)"
            if err["loc"] and err["loc"][0] in item.values.get("_annotated", ())
            else ""
        )
        errors.append(
            ConfigError(
                f"{describe(err)}{annotation}",
                path=Path(item.origin),
                key=f"{item.entity.where}: {loc_to_key(error_loc(err))}",
            )
        )
        return
    item.values = values
    out.append(item)


def _title(entity: Entity) -> str:
    return str(entity.metadata.get("title") or entity.name)


def _owner(catalog: Catalog, entity: Entity) -> tuple[str | None, list[str]]:
    ref = entity.spec.get("owner")
    if not ref:
        return None, []
    owner = catalog.find(str(ref), "group", entity.namespace)
    name = str(ref).split(":")[-1].split("/")[-1]
    if owner is None:
        return name, []
    email = (owner.spec.get("profile") or {}).get("email")
    contacts = [str(email)] if email else []
    if owner.kind == "group" and not contacts:  # no team address: its members'
        for member in catalog.entities.values():
            member_of = [
                str(m).split("/")[-1].split(":")[-1] for m in member.spec.get("memberOf") or []
            ]
            if member.kind == "user" and owner.name in member_of:
                mail = (member.spec.get("profile") or {}).get("email")
                if mail:
                    contacts.append(str(mail))
    return name, contacts


def _common(catalog: Catalog, entity: Entity) -> dict[str, Any]:
    owner, contacts = _owner(catalog, entity)
    meta = entity.metadata
    runbook = next(
        (
            str(link.get("url"))
            for link in meta.get("links") or []
            if isinstance(link, dict) and str(link.get("title", "")).lower() == "runbook"
        ),
        None,
    )
    lifecycle = LIFECYCLES.get(str(entity.spec.get("lifecycle", "")).lower(), "active")
    values: dict[str, Any] = {
        "name": _title(entity),
        "description": str(meta.get("description") or "").strip(),
        "owner": owner,
        "contacts": contacts,
        "chat_route": owner,
        "tier": DEFAULT_TIER,
        "lifecycle": lifecycle,
        "tags": [str(t) for t in meta.get("tags") or []],
        "runbook": runbook,
    }
    annotated = []
    for key, target in (
        ("tier", "tier"),
        ("pattern", "pattern"),
        ("chat-route", "chat_route"),
        ("runbook", "runbook"),
        ("sunset", "sunset"),
        ("successor", "successor"),
        ("review-cadence", "review_cadence"),
        ("last-review", "last_review"),
    ):
        value = entity.annotation(key)
        if value is not None:
            values[target] = int(value) if target == "tier" and value.isdigit() else value
            annotated.append(target)
    slo = {}
    for key, target in (("slo-latency-p95-ms", "latency_p95_ms"), ("slo-error-rate", "error_rate")):
        value = entity.annotation(key)
        if value is not None:
            slo[target] = _number(value)
    if slo:
        values["slo"] = slo
        annotated.append("slo")
    handling = {}
    for key, target in (
        ("failure-retries", "retries"),
        ("failure-idempotency-key", "idempotency_key"),
        ("failure-dlq", "dlq"),
    ):
        value = entity.annotation(key)
        if value is not None:
            handling[target] = value
    if handling:
        values["failure_handling"] = handling
        annotated.append("failure_handling")
    values["_annotated"] = annotated
    return values


def _number(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text  # left for validation to name


def _from_api(
    catalog: Catalog, api: Entity, providers: list[str], consumers: list[str]
) -> Imported:
    values = _common(catalog, api)
    kind = str(api.spec.get("type", "")).lower()
    values = {
        "id": slug(api.name if api.namespace == "default" else f"{api.namespace}.{api.name}"),
        **values,
        "source_system": ", ".join(sorted(set(providers))) or _system(catalog, api) or api.name,
        "target_system": ", ".join(sorted(set(consumers))) or "(no consumer in the catalog)",
    }
    values.setdefault("pattern", API_PATTERNS.get(kind, "sync-api"))
    if values.get("pattern") in (None, ""):
        values["pattern"] = API_PATTERNS.get(kind, "sync-api")
    definition = api.spec.get("definition")
    inline = None
    contract: dict[str, Any] = {}
    if isinstance(definition, dict) and definition.get("$text"):
        contract["spec"] = str(definition["$text"])
    elif isinstance(definition, str) and definition.strip():
        inline = definition
        try:
            info = (yaml.safe_load(definition) or {}).get("info") or {}
            if info.get("version") is not None:
                contract["version"] = str(info["version"])
        except (yaml.YAMLError, AttributeError):
            pass
    values["contract"] = contract
    return Imported(values, api, api.path, inline)


def _system(catalog: Catalog, entity: Entity) -> str | None:
    ref = entity.spec.get("system")
    if not ref:
        return None
    system = catalog.find(str(ref), "system", entity.namespace)
    return _title(system) if system else str(ref)


def _from_dependency(catalog: Catalog, component: Entity, resource: Entity) -> Imported:
    values = _common(catalog, component)
    kind = str(resource.spec.get("type", "")).lower()
    values = {
        "id": slug(f"{component.name}-to-{resource.name}"),
        **values,
        "name": f"{_title(component)} → {_title(resource)}",
        "description": values["description"]
        or f"{_title(component)} depends on {_title(resource)} ({kind or 'resource'}).",
        "source_system": _title(component),
        "target_system": _title(resource),
    }
    values.setdefault("pattern", RESOURCE_PATTERNS.get(kind, "sync-api"))
    values["tags"] = sorted(
        {*values["tags"], *(str(t) for t in resource.metadata.get("tags") or [])}
    )
    return Imported(values, component, component.path)
