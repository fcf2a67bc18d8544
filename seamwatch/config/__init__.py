"""Load and validate config.toml once, at the edge; the rest of the code receives typed values."""

from __future__ import annotations

import copy
import os
import re
import tomllib
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, Field, ValidationError, model_validator

from seamwatch.config.base import (
    StrictModel,
    all_errors,
    first_error,
    interpolate_env,
    line_of,
    loc_to_key,
    raise_all,
)
from seamwatch.config.sections import (
    AppSettings,
    InventorySettings,
    SchedulerSettings,
    SourceSettings,
    StoreSettings,
)
from seamwatch.errors import ConfigError
from seamwatch.secrets import register_config_secrets

__all__ = [
    "AppSettings",
    "InventorySettings",
    "SchedulerSettings",
    "Settings",
    "SourceSettings",
    "StoreSettings",
    "check_settings",
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
    heartbeats: dict[str, Any] = Field(default_factory=dict)  # collectors.heartbeat validates it
    app: AppSettings = Field(default_factory=AppSettings)
    scorecard: dict[str, Any] = Field(default_factory=dict)  # seamwatch/scorecard.py (issue 16)
    contracts: dict[str, Any] = Field(default_factory=dict)  # collectors/contracts.py (issue 16)

    # Set by load_settings: where the file was, so relative paths resolve against it.
    config_path: Path | None = Field(default=None, exclude=True)
    # Set by load_settings: key -> problem, for ${VAR}s left unset in blocks a stage validates
    # when it is used (a source's options, a chat channel): only what uses them needs them.
    unset_env: dict[str, str] = Field(default_factory=dict, exclude=True)

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


def resolve_config(path: Path) -> Path:
    """The absolute config path; a symlink loop is a one-line ConfigError, not a crash."""
    try:
        return path.resolve()
    except (RuntimeError, OSError) as exc:  # 3.11 raises RuntimeError("Symlink loop ...")
        raise ConfigError(f"cannot read: {exc}", path=path) from None


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
    except RecursionError:
        raise ConfigError("TOML nested too deeply to read", path=path) from None
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"\(at line (\d+), column (\d+)\)", str(exc))
        reason = re.sub(r"\s*\(at line \d+, column \d+\)", "", str(exc))
        line = int(match.group(1)) if match else None
        where = f" (column {match.group(2)})" if match else ""
        raise ConfigError(f"TOML syntax error: {reason}{where}", path=path, line=line) from None


def load_settings(path: str | Path | None = None) -> Settings:
    """Read, interpolate and validate config.toml; raise ConfigError with file, key and line."""
    config_path = resolve_config(find_config(path))
    data, text = read_toml(config_path)
    unset: list[ConfigError] = []
    data = interpolate_env(data, path=config_path, errors=unset)
    register_config_secrets(data)
    needed = [
        ConfigError(p.reason, path=p.path, key=p.key, line=line_of(text, _key_loc(p.key or "")))
        for p in unset
        if not _deferrable(p.key or "")
    ]
    raise_all(needed)
    try:
        settings = Settings.model_validate(data)
    except ValidationError as exc:
        raise first_error(exc, path=config_path, text=text) from None
    later = {p.key or "": p.reason for p in unset if _deferrable(p.key or "")}
    return settings.model_copy(update={"config_path": config_path, "unset_env": later})


_SHARED_SOURCE_KEYS = {"name", "kind", "interval", "timeout", "enabled"}


def _deferrable(key: str) -> bool:
    """Whether an unset ${VAR} at `key` matters only to the stage that validates it when used:
    the alerts, detectors and reports sections, and a source's own options."""
    if key.split(".", 1)[0].split("[", 1)[0] in ("alerts", "detectors", "reports"):
        return True
    found = re.match(r"sources\[\d+\]\.([^.\[]+)", key)
    return bool(found) and found.group(1) not in _SHARED_SOURCE_KEYS


def check_settings(path: str | Path | None = None) -> tuple[Settings, list[ConfigError]]:
    """Every problem in config.toml, and the settings with the broken keys left at their defaults.

    For `seamwatch check`, which goes on to check the inventory and the stages' sections: each
    top-level section and each source is validated on its own, a bad key is dropped (its default
    applies) and a source that still fails is left out. Unreadable files still raise.
    """
    config_path = resolve_config(find_config(path))
    raw, text = read_toml(config_path)
    unset: list[ConfigError] = []
    data = interpolate_env(raw, path=config_path, errors=unset)
    register_config_secrets(data)
    problems = [  # with the line, which interpolation (working on parsed data) does not know
        ConfigError(p.reason, path=p.path, key=p.key, line=line_of(text, _key_loc(p.key or "")))
        for p in unset
    ]
    kept: dict[str, Any] = {}
    for key, value in data.items():
        if key == "sources" and isinstance(value, list):
            kept[key] = _valid_sources(value, config_path, text, problems)
            continue
        block = _pruned({key: value}, Settings, config_path, text, problems)
        if block is not None:
            kept.update(block)
    try:
        settings = Settings.model_validate(kept)
    except ValidationError as exc:  # a check across sections: report it, go on with defaults
        problems.extend(all_errors(exc, path=config_path, text=text))
        settings = Settings()
    return settings.model_copy(update={"config_path": config_path}), problems


def _key_loc(key: str) -> tuple[str | int, ...]:
    """A dotted key back to a location: sources[0].url -> ("sources", 0, "url")."""
    return tuple(int(p) if p.isdigit() else p for p in re.findall(r"[^.\[\]]+", key))


def _valid_sources(
    items: list[Any], path: Path, text: str, problems: list[ConfigError]
) -> list[dict[str, Any]]:
    """The source blocks that validate (bad keys dropped), each name once."""
    result: list[dict[str, Any]] = []
    seen: set[str] = set()
    for index, item in enumerate(items):
        block = _pruned(item, SourceSettings, path, text, problems, root=("sources", index))
        if block is None:
            continue
        if block["name"] in seen:
            problems.append(
                ConfigError(
                    f"source name {block['name']!r} is used twice",
                    path=path,
                    key=f"sources[{index}].name",
                    line=line_of(text, ("sources", index, "name")),
                )
            )
            continue
        seen.add(block["name"])
        result.append(block)
    return result


def _pruned(
    data: Any,
    model: type[BaseModel],
    path: Path,
    text: str,
    problems: list[ConfigError],
    root: tuple[str | int, ...] = (),
) -> Any:
    """`data` if it validates; else its problems recorded, the bad keys dropped and tried once
    more; None when it still fails."""
    for attempt in range(2):
        try:
            model.model_validate(data)
            return data
        except ValidationError as exc:
            known = {(p.key, p.reason) for p in problems}
            found = all_errors(exc, path=path, text=text, root=root)
            problems.extend(p for p in found if (p.key, p.reason) not in known)
            if attempt or not isinstance(data, dict):
                return None
            data = copy.deepcopy(data)
            for err in exc.errors(include_url=False):
                _drop(data, [p for p in err["loc"] if not str(p).startswith("function-")])
    return None


def _drop(data: Any, loc: list[Any]) -> None:
    """Delete the deepest existing key on the path `loc` below the top level."""
    parents: list[tuple[Any, Any]] = []
    node = data
    for part in loc:
        if (isinstance(node, dict) and part in node) or (
            isinstance(node, list) and isinstance(part, int) and part < len(node)
        ):
            parents.append((node, part))
            node = node[part]
        else:
            break
    if len(parents) > 1 or (parents and len(loc) == 1):
        container, part = parents[-1]
        if isinstance(container, dict):
            del container[part]


def validate_block(model: type[M], data: Any, settings: Settings, root: tuple[str | int, ...]) -> M:
    """Validate a block a stage owns (a source's options, the alerts section) with its model.

    Errors name the config file, the full key (e.g. sources[2].query) and its line; a ${VAR}
    left unset inside the block is reported now, when the block is used.
    """
    prefix = loc_to_key(root)
    pending = [
        (key, reason)
        for key, reason in settings.unset_env.items()
        if key == prefix or key.startswith((f"{prefix}.", f"{prefix}["))
    ]
    if pending:
        path = settings.config_path or Path("config.toml")
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        raise_all(
            [
                ConfigError(reason, path=path, key=key, line=line_of(text, _key_loc(key)))
                for key, reason in pending
            ]
        )
    try:
        return model.model_validate(data, context={"base_dir": settings.base_dir})
    except ValidationError as exc:
        path = settings.config_path or Path("config.toml")
        text = path.read_text(encoding="utf-8") if path.exists() else ""
        raise first_error(exc, path=path, text=text, root=root) from None


def validate_section(model: type[M], settings: Settings, section: str) -> M:
    """Validate one free-form top-level section (detectors, alerts, reports) with its stage's model."""
    return validate_block(model, getattr(settings, section), settings, (section,))
