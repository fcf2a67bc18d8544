"""One exception family; every message a user sees is a sentence."""

from __future__ import annotations

from pathlib import Path


class SeamwatchError(Exception):
    """Base of every error Seamwatch reports to a user."""


class ConfigError(SeamwatchError):
    """A configuration or inventory file is wrong: names the file, key, line and what is wrong."""

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        key: str | None = None,
        line: int | None = None,
    ) -> None:
        self.path = str(path) if path is not None else None
        self.key = key
        self.line = line
        self.reason = message
        super().__init__(self._render())

    def _render(self) -> str:
        parts: list[str] = []
        if self.path:
            parts.append(f"{self.path}:{self.line}" if self.line else self.path)
        if self.key:
            parts.append(self.key)
        parts.append(self.reason)
        return ": ".join(parts)


class ConfigWarning(ConfigError):
    """Probably a mistake, but Seamwatch works around it: `check` reports it without failing."""


class StoreError(SeamwatchError):
    """The DuckDB store cannot be opened, read or written."""


class StoreMissing(StoreError):
    """The store file does not exist yet."""


class StoreLocked(StoreError):
    """Another process held the store's lock past our deadline."""


class QueryRefused(SeamwatchError):
    """A read-only SQL console was asked to run a statement that writes."""
