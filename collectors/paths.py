"""Paths into JSON documents: `data.integrations`, `stats.latency["p95.ms"]`, `items[0].rate`.

Parsed once at config validation, so a malformed path is a config error, and resolved with an
answer that says where it stopped matching ("no key 'p95' at stats.latency").
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["JsonPath", "PathMiss", "parse_path"]

_TOKEN = re.compile(r'\.?([A-Za-z0-9_$@-]+)|\[(\d+)\]|\["([^"]+)"\]|\[\'([^\']+)\'\]')


class PathMiss(LookupError):
    """The document has nothing at a path; the message says where it stopped."""


@dataclass(frozen=True)
class JsonPath:
    """A parsed path: keys (str) and list indexes (int)."""

    text: str
    parts: tuple[str | int, ...]

    def resolve(self, doc: Any) -> Any:
        """The value at this path, or PathMiss naming the first step that matched nothing."""
        current = doc
        for depth, part in enumerate(self.parts):
            at = _render(self.parts[:depth]) or "the document root"
            if isinstance(part, int):
                if not isinstance(current, list):
                    raise PathMiss(f"expected a list at {at}, found {_kind(current)}")
                if part >= len(current):
                    raise PathMiss(f"no item [{part}] at {at} (it has {len(current)})")
                current = current[part]
            else:
                if not isinstance(current, dict):
                    raise PathMiss(f"expected an object at {at}, found {_kind(current)}")
                if part not in current:
                    raise PathMiss(f"no key {part!r} at {at}")
                current = current[part]
        return current

    def __str__(self) -> str:
        return self.text


def parse_path(text: str) -> JsonPath:
    """Parse a path; raise ValueError for one that is not a path."""
    stripped = text.strip()
    if stripped in ("", "$", "."):
        return JsonPath(stripped, ())
    parts: list[str | int] = []
    pos = 0
    body = stripped[2:] if stripped.startswith("$.") else stripped
    while pos < len(body):
        match = _TOKEN.match(body, pos)
        if not match or (match.group(1) and pos > 0 and body[pos] != "."):
            raise ValueError(
                f"{text!r} is not a JSON path (write e.g. data.items, stats.p95, items[0].rate, "
                f'latency["p95.ms"])'
            )
        key, index, quoted, single = match.groups()
        parts.append(int(index) if index is not None else (key or quoted or single))
        pos = match.end()
    return JsonPath(stripped, tuple(parts))


def _render(parts: tuple[str | int, ...]) -> str:
    out = ""
    for part in parts:
        if isinstance(part, int):
            out += f"[{part}]"
        elif re.fullmatch(r"[A-Za-z0-9_$@-]+", part):
            out += f".{part}" if out else part
        else:
            out += f'["{part}"]'
    return out


def _kind(value: Any) -> str:
    if isinstance(value, dict):
        return "an object"
    if isinstance(value, list):
        return "a list"
    if value is None:
        return "null"
    return f"{type(value).__name__} {str(value)[:40]!r}"
