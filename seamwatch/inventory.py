"""The inventory as code: integrations declared in TOML files, validated on load.

A broken file is reported (path, key, line, what is wrong) and skipped; the rest loads.
"""

from __future__ import annotations

import glob
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from pydantic import Field, ValidationError, ValidationInfo, field_validator, model_validator

from seamwatch.config.base import (
    StrictModel,
    describe,
    error_at,
    error_loc,
    first_error,
    line_of,
    problems_of,
    raise_all,
)
from seamwatch.config.sections import Slug
from seamwatch.durations import Duration
from seamwatch.errors import ConfigError
from seamwatch.metrics import Metric
from seamwatch.schedule import SCHEDULED_PATTERNS, Schedule

TIERS = (1, 2, 3, 4)
"""The criticality tiers an integration can have, most critical first."""


class Pattern(StrEnum):
    """How an integration moves data."""

    SYNC_API = "sync-api"
    EVENT = "event"
    BATCH = "batch"
    FILE = "file"
    STREAM = "stream"


class Lifecycle(StrEnum):
    """Where an integration is in its life."""

    PLANNED = "planned"
    ACTIVE = "active"
    DEPRECATED = "deprecated"
    RETIRED = "retired"


class Contract(StrictModel):
    """The interface contract: OpenAPI/AsyncAPI spec, schema registry subject, version."""

    spec: str | None = None
    schema_subject: str | None = None
    version: str | None = None


class Slo(StrictModel):
    """Service-level objectives; None means no objective for that metric."""

    latency_p95_ms: float | None = Field(default=None, gt=0)
    error_rate: float | None = Field(default=None, ge=0, le=1)
    throughput_min: float | None = Field(default=None, ge=0)
    dlq_depth_max: float | None = Field(default=None, ge=0)
    window: Duration = timedelta(days=30)


# -- governance (issue 16): failure handling and the deprecation plan ---------------------------


class FailureHandling(StrictModel):
    """How the integration survives failure, in the owning team's words.

    Each key is free text ("exponential, max 5", "orderId", "orders.dlq"); `"none"` (with a
    reason after it if you like) says the team decided against it, which still counts as declared.
    """

    retries: str | None = Field(default=None, min_length=1)
    idempotency_key: str | None = Field(default=None, min_length=1)
    dlq: str | None = Field(default=None, min_length=1)

    def missing(self) -> list[str]:
        """The keys not declared yet."""
        return [k for k in ("retries", "idempotency_key", "dlq") if getattr(self, k) is None]

    def has_dlq(self) -> bool:
        """A DLQ is named (not missing, not "none ...")."""
        return self.dlq is not None and not self.dlq.strip().lower().startswith("none")


def check_successors(inventory: Inventory) -> None:
    """A successor names an inventoried integration other than itself; else a one-line error."""
    for integration in inventory:
        successor = integration.successor
        if successor is None:
            continue
        if successor == integration.id or successor not in inventory:
            why = (
                "is the integration itself" if successor == integration.id else "is not inventoried"
            )
            inventory.errors.append(
                ConfigError(
                    f"successor {successor!r} {why}",
                    path=inventory.origin.get(integration.id),
                    key=f"{integration.id}.successor",
                )
            )


class Integration(StrictModel):
    """One managed link between two systems."""

    id: Slug
    name: str = Field(min_length=1)
    description: str = ""
    owner: str | None = None
    contacts: list[str] = Field(default_factory=list)
    chat_route: str | None = None
    source_system: str = Field(min_length=1)
    target_system: str = Field(min_length=1)
    pattern: Pattern
    tier: int = Field(ge=TIERS[0], le=TIERS[-1], description="criticality: 1 is most critical")
    lifecycle: Lifecycle = Lifecycle.ACTIVE
    sunset: date | None = None
    endpoints: list[str] = Field(default_factory=list)
    contract: Contract = Field(default_factory=Contract)
    slo: Slo = Field(default_factory=Slo)
    review_cadence: Duration = timedelta(days=180)
    last_review: date | None = None
    runbook: str | None = None
    tags: list[str] = Field(default_factory=list)
    collect: dict[Metric, str] = Field(
        default_factory=dict, description="metric -> name of the source that collects it"
    )
    # governance (issue 16)
    failure_handling: FailureHandling | None = None
    successor: Slug | None = Field(default=None, description="id of the integration replacing it")
    # expected schedule of a batch or file job (issue 17)
    schedule: Schedule | None = None

    @field_validator("owner", "chat_route", "runbook")
    @classmethod
    def _blank_is_none(cls, value: str | None) -> str | None:
        return value.strip() or None if isinstance(value, str) else value

    @field_validator("schedule", mode="before")
    @classmethod
    def _schedule_of_a_job(cls, value: Any, info: ValidationInfo) -> Any:
        """A schedule belongs to a batch or file job; its errors name the integration."""
        if value is None or isinstance(value, Schedule):
            return value
        who = repr(info.data.get("id", "?"))
        pattern = info.data.get("pattern")
        if pattern is not None and pattern not in SCHEDULED_PATTERNS:
            raise ValueError(
                f"{who} is a {pattern.value} integration; only batch and file jobs run on a schedule"
            )
        try:
            return Schedule.model_validate(value)
        except ValidationError as exc:
            err = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in error_loc(err)) or "schedule"
            raise ValueError(f"{where} of {who}: {describe(err)}") from None

    @model_validator(mode="after")
    def _sunset_for_deprecated(self) -> Integration:
        if self.lifecycle is Lifecycle.DEPRECATED and self.sunset is None:
            raise ValueError("a deprecated integration needs a sunset date")
        return self

    def review_due(self) -> date | None:
        """The date the next review is due, or None if it was never reviewed."""
        return self.last_review + self.review_cadence if self.last_review else None

    def review_overdue(self, today: date) -> bool:
        """Never reviewed, or its cadence has passed since the last review."""
        due = self.review_due()
        return due is None or due < today

    def past_sunset(self, today: date) -> bool:
        """A sunset date that lies in the past."""
        return self.sunset is not None and self.sunset < today


# -- teams (issue 15): who an owner slug is --------------------------------------------------


def _link(value: str | None) -> str | None:
    """A link a person clicks: http(s) or mailto, else a one-line error."""
    if value is None or not value.strip():
        return None
    value = value.strip()
    if not value.startswith(("https://", "http://", "mailto:")):
        raise ValueError(f"{value!r} is not a link (https://..., http://... or mailto:...)")
    return value


class Team(StrictModel):
    """An owning team: `owner = "<id>"` on an integration points here.

    Optional: an owner that no `[[team]]` declares is still allowed (shown as the bare slug).
    """

    id: Slug
    name: str = Field(min_length=1)
    description: str = ""
    members: list[str] = Field(default_factory=list)
    contacts: list[str] = Field(default_factory=list)
    chat: str | None = Field(default=None, description="link to the team's chat channel")
    oncall: str | None = Field(default=None, description="link to the team's on-call schedule")

    @field_validator("chat", "oncall")
    @classmethod
    def _links(cls, value: str | None) -> str | None:
        return _link(value)


class InventoryFile(StrictModel):
    """One inventory TOML file: optional shared defaults, integrations and teams."""

    defaults: dict[str, Any] = Field(default_factory=dict)
    integration: list[dict[str, Any]] = Field(default_factory=list)
    team: list[dict[str, Any]] = Field(default_factory=list)


@dataclass
class Inventory:
    """The loaded inventory: valid integrations, where each came from, and the file errors."""

    integrations: dict[str, Integration] = field(default_factory=dict)
    origin: dict[str, Path] = field(default_factory=dict)
    errors: list[ConfigError] = field(default_factory=list)
    files: list[Path] = field(default_factory=list)
    lines: dict[str, int] = field(
        default_factory=dict
    )  # integration id -> its [[integration]] line
    teams: dict[str, Team] = field(default_factory=dict)
    team_origin: dict[str, tuple[Path, int | None]] = field(default_factory=dict)

    def __contains__(self, integration_id: object) -> bool:
        return integration_id in self.integrations

    def __len__(self) -> int:
        return len(self.integrations)

    def __iter__(self):  # type: ignore[no-untyped-def]
        return iter(self.integrations.values())

    def get(self, integration_id: str) -> Integration | None:
        """The integration with this id, if inventoried."""
        return self.integrations.get(integration_id)


def load_inventory(
    patterns: list[str], base_dir: Path, *, backstage: list[str] | None = None
) -> Inventory:
    """Load every file matched by the globs (and the Backstage catalogs named); report broken
    files, entities and duplicates, keep the rest."""
    inventory = Inventory()
    paths: list[Path] = []
    for pattern in patterns:
        full = pattern if Path(pattern).is_absolute() else str(base_dir / pattern)
        matches = sorted(Path(p) for p in glob.glob(full, recursive=True))
        if not matches:
            inventory.errors.append(
                ConfigError(f"inventory glob {pattern!r} matches no file", path=base_dir / pattern)
            )
        paths.extend(m for m in matches if m not in paths)
    for path in paths:
        inventory.files.append(path)
        try:
            integrations = load_file(path)
        except ConfigError as exc:  # reported by whoever loads it (logged, or printed by check)
            inventory.errors.extend(problems_of(exc))
            continue
        data, text = _read(path)
        for integration in integrations:
            if integration.id in inventory.integrations:
                inventory.errors.append(
                    ConfigError(
                        f"duplicate integration id {integration.id!r}, first declared in "
                        f"{inventory.origin[integration.id]}; this one is skipped",
                        path=path,
                        key="integration.id",
                    )
                )
                continue
            inventory.integrations[integration.id] = integration
            inventory.origin[integration.id] = path
        _add_places_and_teams(inventory, path, integrations, data, text)
    if backstage:
        _add_backstage(inventory, backstage, base_dir)
    check_successors(inventory)
    return inventory


def _add_backstage(inventory: Inventory, locations: list[str], base_dir: Path) -> None:
    """Integrations from Backstage catalogs; an id the TOML files already declare is skipped."""
    from seamwatch.backstage import integrations, read_catalog

    catalog = read_catalog(locations, base_dir)
    imported, errors = integrations(catalog)
    inventory.errors.extend(catalog.errors + errors)
    for item in imported:
        integration = Integration.model_validate(item.values)
        origin = Path(item.origin)
        if integration.id in inventory.integrations:
            inventory.errors.append(
                ConfigError(
                    f"integration id {integration.id!r} is already declared in "
                    f"{inventory.origin[integration.id]}; the catalog's is skipped",
                    path=origin,
                    key=f"{item.entity.where}.metadata.name",
                )
            )
            continue
        inventory.integrations[integration.id] = integration
        inventory.origin[integration.id] = origin
        if origin not in inventory.files:
            inventory.files.append(origin)


def load_file(path: Path) -> list[Integration]:
    """Parse and validate one inventory file; its problems (all of them) raise a ConfigError.

    A value that comes from `[defaults]` is reported there, once, not on each integration.
    """
    from seamwatch.config import read_toml

    data, text = read_toml(path)
    try:
        doc = InventoryFile.model_validate(data)
    except ValidationError as exc:
        raise first_error(exc, path=path, text=text) from None
    result: list[Integration] = []
    problems: list[ConfigError] = []
    seen: set[str] = set()
    for index, raw in enumerate(doc.integration):
        merged = {**doc.defaults, **raw}
        try:
            integration = Integration.model_validate(merged)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                loc = error_loc(err)
                inherited = bool(loc) and loc[0] in doc.defaults and loc[0] not in raw
                root = ("defaults",) if inherited else ("integration", index)
                problem = error_at(err, path=path, text=text, root=root)
                if str(problem) not in {str(p) for p in problems}:
                    problems.append(problem)
            continue
        if integration.id in seen:
            problems.append(
                ConfigError(
                    f"duplicate integration id {integration.id!r} in the same file",
                    path=path,
                    key=f"integration[{index}].id",
                    line=line_of(text, ("integration", index, "id")),
                )
            )
        seen.add(integration.id)
        result.append(integration)
    raise_all(problems)
    return result


def _read(path: Path) -> tuple[dict[str, Any], str]:
    from seamwatch.config import read_toml

    return read_toml(path)


def _add_places_and_teams(
    inventory: Inventory,
    path: Path,
    integrations: list[Integration],
    data: dict[str, Any],
    text: str,
) -> None:
    """Each integration's line (for "edit in your repository" links) and the `[[team]]` tables
    of one valid file; a broken or duplicate team is reported with file, key and line, and the
    rest of the inventory keeps loading."""
    for index, integration in enumerate(integrations):  # a valid file keeps their order
        line = line_of(text, ("integration", index))
        if line is not None and inventory.origin.get(integration.id) == path:
            inventory.lines[integration.id] = line
    for index, raw in enumerate(data.get("team") or []):
        try:
            team = Team.model_validate(raw)
        except ValidationError as exc:
            for err in exc.errors(include_url=False):
                inventory.errors.append(error_at(err, path=path, text=text, root=("team", index)))
            continue
        line = line_of(text, ("team", index))
        if team.id in inventory.teams:
            first, first_line = inventory.team_origin[team.id]
            inventory.errors.append(
                ConfigError(
                    f"duplicate team id {team.id!r}, first declared in {first}"
                    + (f":{first_line}" if first_line else "")
                    + "; this one is skipped",
                    path=path,
                    key=f"team[{index}].id",
                    line=line,
                )
            )
            continue
        inventory.teams[team.id] = team
        inventory.team_origin[team.id] = (path, line)
