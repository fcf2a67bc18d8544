"""One matcher for routes, silences and maintenance windows: field -> accepted values."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fnmatch import fnmatchcase

from alerts.message import Finding

_ALIASES = {"integration": "integration_id", "team": "owner", "tag": "tags"}


def normalise(matchers: Mapping[str, object]) -> dict[str, list[str]]:
    """Matchers as field -> list of strings (a single value becomes a list; aliases resolved)."""
    out: dict[str, list[str]] = {}
    for key, value in matchers.items():
        values = value if isinstance(value, list | tuple) else [value]
        out[_ALIASES.get(key, key)] = [str(v) for v in values]
    return out


def value_matches(pattern: str, value: str) -> bool:
    """Exact match, or a shell wildcard (`crm-*`) when the pattern has one."""
    if any(c in pattern for c in "*?["):
        return fnmatchcase(value, pattern)
    return value == pattern


def matches(finding: Finding, matchers: Mapping[str, Sequence[str]]) -> bool:
    """Every field matches one of its values (no matchers: everything matches)."""
    for field, accepted in matchers.items():
        values = finding.field_values(field)
        if not any(value_matches(p, v) for p in accepted for v in values):
            return False
    return True
