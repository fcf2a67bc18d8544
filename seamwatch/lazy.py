"""Registries of dotted paths, imported on first use (as healthchecks' TRANSPORTS): a command
line that lists what exists starts at once, and only what runs pays for its imports."""

from __future__ import annotations

from importlib import import_module
from typing import Any


def import_object(path: str) -> Any:
    """The object a dotted path names: "package.module:attribute" or "package.module"."""
    module_name, _, attribute = path.partition(":")
    module = import_module(module_name)
    return getattr(module, attribute) if attribute else module
