"""Load and validate config.toml once, at the edge; the rest of the code receives typed values."""

from __future__ import annotations

import os
import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import Field, ValidationError, model_validator

from seamwatch.config.base import StrictModel, first_error, interpolate_env
from seamwatch.config.sections import (
    AppSettings,
    InventorySettings,
    SchedulerSettings,
    SourceSettings,
    StoreSettings,
)
from seamwatch.errors import ConfigError

__all__ = [
    "AppSettings",
    "InventorySettings",
    "SchedulerSettings",
    "Settings",
    "SourceSettings",
    "StoreSettings",
    "find_config",
    "load_settings",
    "read_toml",
    "validate_block",
    "validate_section",
]

M = TypeVar("M", bound=StrictModel)

DEFAULT_CONFIG = Path("config.toml")
ENV_VAR = "SEAMWATCH_CONFIG"


class Settings(StrictModel):
    """The whole validated configuration."""

    store: StoreSettings = Field(default_factory=StoreSettings)
    inventory: InventorySettings = Field(default_factory=InventorySettings)
    sources: list[SourceSettings] = Field(default_factory=list)
    scheduler: SchedulerSettings = Field(default_factory=SchedulerSettings)
    detectors: dict[str, Any] = Field(default_factory=dict)
    alerts: dict[str, Any] = Field(default_factory=dict)
    reports: dict[str, Any] = Field(default_factory=dict)
    app: AppSettings = Field(default_factory=AppSettings)

    # Set by load_settings: where the file was, so relative paths resolve against it.
    config_path: Path | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _unique_source_names(self) -> Settings:
        seen: set[str] = set()
        for source in self.sources:
            if source.name in seen:
                raise ValueError(f"source name {source.name!r} is used twice")
            seen.add(source.name)
        return self

    @property
    def base_dir(self) -> Path:
        """The directory relative paths in the config are resolved against."""
        return self.config_path.parent if self.config_path else Path.cwd()

    def resolve(self, path: Path | str) -> Path:
        """Resolve a config-relative path."""
        p = Path(path).expanduser()
        return p if p.is_absolute() else (self.base_dir / p)

    @property
    def store_path(self) -> Path:
        """The DuckDB file."""
        return self.resolve(self.store.path)

    @property
    def spool_path(self) -> Path:
        """The spool directory for batches a writer could not store yet."""
        return self.resolve(self.store.spool)

    def source(self, name: str) -> SourceSettings:
        """The source block with this name, or a ConfigError naming the known ones."""
        for source in self.sources:
            if source.name == name:
                return source
        known = ", ".join(s.name for s in self.sources) or "none configured"
        raise ConfigError(f"no source named {name!r} (known: {known})", key="sources")


def find_config(explicit: str | Path | None = None) -> Path:
    """--config PATH, else $SEAMWATCH_CONFIG, else ./config.toml."""
    if explicit:
        return Path(explicit)
    if os.environ.get(ENV_VAR):
        return Path(os.environ[ENV_VAR])
    return DEFAULT_CONFIG


def read_toml(path: Path) -> tuple[dict[str, Any], str]:
    """Read a TOML file, turning I/O and syntax errors into one-line ConfigErrors."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("file not found", path=path) from None
    except IsADirectoryError:
        raise ConfigError("is a directory, not a TOML file", path=path) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"cannot read: {exc}", path=path) from None
    try:
        return tomllib.loads(text), text
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        line = int(match.group(1)) if match else None
        where = f" (column {match.group(2)})" if match else ""
        raise ConfigError(f"TOML syntax error: {reason}{where}", path=path, line=line) from None


def load_settings(path: str | Path | None = None) -> Settings:
    """Read, interpolate and validate config.toml; raise ConfigError with file, key and line."""
    config_path = find_config(path).resolve()
    data, text = read_toml(config_path)
    data = interpolate_env(data, path=config_path)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise first_error(exc, path=config_path, text=text) from None
    return settings.model_copy(update={"config_path": config_path})


def validate_block(model: type[M], data: Any, settings: Settings, root: tuple[str | int, ...]) -> M:
    """Validate a block a stage owns (a source's options, the alerts section) with its model.

    Errors name the config file, the full key (e.g. sources[2].query) and its line.
    """
    try:
        return model.model_validate(data, context={"base_dir": settings.base_dir})
    except ValidationError as exc:
        path = settings.config_path or Path("config.toml")
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        raise first_error(exc, path=path, text=text, root=root) from None


def validate_section(model: type[M], settings: Settings, section: str) -> M:
    """Validate one free-form top-level section (detectors, alerts, reports) with its stage's model."""
    return validate_block(model, getattr(settings, section), settings, (section,))
