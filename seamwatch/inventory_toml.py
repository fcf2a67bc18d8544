"""Inventory entries written as TOML for people to review: `inventory new`, the Backstage import.

One writer, so a scaffolded entry and an imported one read alike: every key on its own line
with a comment saying what it is for, keys without a value commented out showing their form.
The text is validated by loading it back before anyone writes it to a file.
"""

from __future__ import annotations

import json
import re
import tomllib
from datetime import date
from typing import Any

from pydantic import ValidationError

from seamwatch.config.base import error_at
from seamwatch.errors import ConfigError
from seamwatch.inventory import Integration

# (key, comment, example shown when the key has no value); the order entries are written in.
KEYS: list[tuple[str, str, str]] = [
    ("id", "stable slug: lower-case letters, digits, '.', '_', '-'", '"orders-to-erp"'),
    ("name", "what people call it", '"CRM orders to ERP"'),
    ("description", "what moves, from where to where, and why", '"..."'),
    ("owner", "the owning team (scorecard: owner)", '"payments"'),
    (
        "contacts",
        "people or lists to reach; the scorecard's owner check needs one",
        '["team@example.com"]',
    ),
    ("chat_route", "alerts go to [alerts.channels.<chat_route>]", '"payments"'),
    ("source_system", "where the data comes from", '"Salesforce"'),
    ("target_system", "where it goes", '"SAP ERP"'),
    ("pattern", "sync-api | event | batch | file | stream", '"event"'),
    ("tier", "criticality, 1 (most critical) to 4", "2"),
    (
        "lifecycle",
        "planned | active | deprecated | retired; `check --strict` gates active",
        '"planned"',
    ),
    ("sunset", "the retirement date, required once deprecated", "2027-06-30"),
    (
        "successor",
        "id of the integration replacing it (scorecard: deprecation plan)",
        '"orders-to-erp-v2"',
    ),
    ("endpoints", "URLs, topics, paths", '["kafka://events.example.com/orders.v1"]'),
    (
        "contract",
        "OpenAPI/AsyncAPI spec (URL or file; checked by `seamwatch contracts check`), schema subject, version",
        '{ spec = "https://contracts.example.com/openapi/orders.yaml", version = "1.0.0" }',
    ),
    (
        "slo",
        "objectives: latency_p95_ms, error_rate, throughput_min, dlq_depth_max, window",
        "{ latency_p95_ms = 500, error_rate = 0.01 }",
    ),
    (
        "failure_handling",
        'retries, idempotency key, dead-letter queue ("none: why" counts as declared)',
        '{ retries = "exponential, max 5", idempotency_key = "orderId", dlq = "orders.dlq" }',
    ),
    ("review_cadence", "how often it is reviewed", '"180d"'),
    ("last_review", "date of the last review", "2026-11-30"),
    ("runbook", "what to do when it degrades", '"https://runbooks.example.com/orders-to-erp"'),
    ("tags", "free labels", '["orders", "erp"]'),
    (
        "collect",
        "metric -> source name in config.toml: throughput, error_rate, latency_p95_ms, dlq_depth, ...",
        '{ throughput = "prometheus", error_rate = "prometheus" }',
    ),
]

_BARE_KEY = re.compile(r"^[A-Za-z0-9_-]+$")


def toml_value(value: Any) -> str:
    """A value as TOML: strings (JSON escapes are valid TOML), numbers, dates, lists, tables."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        if not value:
            return "{}"
        items = ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items())
        return "{ " + items + " }"
    raise TypeError(f"cannot write {type(value).__name__} as TOML")


def toml_key(key: str) -> str:
    """A key, quoted when it is not a bare key."""
    return key if _BARE_KEY.match(key) else json.dumps(key)


def render_entry(values: dict[str, Any], *, heading: str | None = None) -> str:
    """One `[[integration]]` block: given keys set, the others commented out with an example."""
    lines = [f"# {line}" for line in (heading or "").splitlines()]
    lines.append("[[integration]]")
    known = {k for k, _, _ in KEYS}
    for key, comment, example in KEYS:
        if values.get(key) not in (None, [], {}, ""):
            lines.append(f"{key} = {toml_value(values[key])}  # {comment}")
        else:
            lines.append(f"# {key} = {example}  # {comment}")
    for key in values:
        if key not in known and values[key] is not None:
            lines.append(f"{toml_key(key)} = {toml_value(values[key])}")
    return "\n".join(lines) + "\n"


def validate_entry(text: str, *, where: str = "<new entry>") -> Integration:
    """Load the written block back and validate it; problems name the key and value."""
    from pathlib import Path

    doc = tomllib.loads(text)
    [raw] = doc["integration"]
    try:
        return Integration.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors(include_url=False)[0]
        raise error_at(err, path=Path(where), text=text, root=("integration", 0)) from None


def existing_ids(text: str) -> set[str]:
    """Integration ids already in an inventory file's text (for refusing a duplicate)."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"TOML syntax error: {exc}") from None
    return {str(i.get("id")) for i in doc.get("integration", []) if isinstance(i, dict)}
