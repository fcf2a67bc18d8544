"""One matcher for routes, silences and maintenance windows: field -> accepted values.

It lives in the spine so the alerts stage (which routes and mutes findings) and the dashboard
(which shows what is silenced) judge a finding by the same rule.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from fnmatch import fnmatchcase
from typing import Any, Protocol

MATCH_FIELDS = (
    "owner",
    "severity",
    "tier",
    "lifecycle",
    "detector",
    "metric",
    "tags",
    "integration_id",
    "source_system",
    "target_system",
    "system",
    "finding_id",
)
"""The fields routes, silences and maintenance windows match on (the read model's names;
`system` is either end of the integration, `tags` any of its tags)."""

ALIASES = {"integration": "integration_id", "team": "owner", "tag": "tags"}
"""Short names a matcher may use (`seamwatch silence --match team=payments`)."""


class Matchable(Protocol):
    """A finding as matchers see it: the values a field name compares."""

    def field_values(self, name: str) -> list[str]:
        """`tags`: any of the integration's tags; `system`: its source or target system."""
        ...


def normalise(matchers: Mapping[str, object]) -> dict[str, list[str]]:
    """Matchers as field -> list of strings (a single value becomes a list; aliases resolved)."""
    out: dict[str, list[str]] = {}
    for key, value in matchers.items():
        values = value if isinstance(value, list | tuple) else [value]
        out[ALIASES.get(key, key)] = [str(v) for v in values]
    return out


def value_matches(pattern: str, value: str) -> bool:
    """Exact match, or a shell wildcard (`crm-*`) when the pattern has one."""
    if any(c in pattern for c in "*?["):
        return fnmatchcase(value, pattern)
    return value == pattern


def matches(finding: Matchable, matchers: Mapping[str, Sequence[str]]) -> bool:
    """Every field matches one of its values (no matchers: everything matches)."""
    for field, accepted in matchers.items():
        values = finding.field_values(field)
        if not any(value_matches(p, v) for p in accepted for v in values):
            return False
    return True


def field_values(get: Callable[[str], Any], name: str) -> list[str]:
    """The values a matcher compares for `name`, read through `get` (None: no value).

    `system` is either end of the integration; `tags` is every tag; anything else one value.
    """
    if name == "system":
        return [str(s) for s in (get("source_system"), get("target_system")) if s]
    value = get(name)
    if value is None:
        return []
    if name == "tags":
        return [str(tag) for tag in value]
    return [str(value)]
