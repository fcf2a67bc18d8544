"""OpenSLO v1 documents to and from an integration's `slo`.

Import (`kind: SLO`, with an inline indicator or an `indicatorRef` to a `kind: SLI` among the
documents read):

- a `thresholdMetric` objective with `op: lt`/`lte` and a `target` of 0.95 or more becomes
  `latency_p95_ms = value` (95% or more of events below the value: the p95 is below it too);
- a `ratioMetric` objective becomes `error_rate = 1 - target` (good/total of 99.5%: 0.5% errors);
- the first `timeWindow` becomes `window` (OpenSLO's `M`, `Q`, `Y` as 30, 90, 365 days).

Export writes one SLO document per objective the integration has, the indicator naming the
Seamwatch metric, so a round trip gives the same `slo`.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import yaml

from seamwatch.durations import format_duration, parse_duration
from seamwatch.errors import ConfigError
from seamwatch.inventory import Integration

API_VERSION = "openslo/v1"
_LONG_UNITS = {"M": 30, "Q": 90, "Y": 365}
_DURATION = re.compile(r"^(\d+)([mhdwMQY])$")


def openslo_duration(text: str) -> timedelta:
    """An OpenSLO duration ("28d", "2w", "1M") as a timedelta."""
    match = _DURATION.match(str(text).strip())
    if not match:
        raise ValueError(f"{text!r} is not an OpenSLO duration (e.g. 28d, 2w, 1M)")
    amount, unit = int(match.group(1)), match.group(2)
    if unit in _LONG_UNITS:
        return timedelta(days=amount * _LONG_UNITS[unit])
    return parse_duration(f"{amount}{unit}")


def read_documents(text: str, *, source: str) -> list[dict[str, Any]]:
    """The YAML documents of an OpenSLO file (several may share one file)."""
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ConfigError(
            f"YAML syntax error: {str(exc).strip().splitlines()[0]}", key=source
        ) from None
    for index, doc in enumerate(docs):
        if not isinstance(doc, dict) or doc.get("apiVersion") != API_VERSION:
            got = doc.get("apiVersion") if isinstance(doc, dict) else type(doc).__name__
            raise ConfigError(
                f"{got!r} is not an OpenSLO v1 document (apiVersion: {API_VERSION})",
                key=f"{source} document[{index}].apiVersion",
            )
    return docs


def slo_from_openslo(docs: list[dict[str, Any]], *, source: str = "openslo") -> dict[str, Any]:
    """The inventory `slo` values the SLO documents describe; a problem names the document."""
    slis = {
        str((d.get("metadata") or {}).get("name")): d.get("spec") or {}
        for d in docs
        if d.get("kind") == "SLI"
    }
    values: dict[str, Any] = {}
    slos = [d for d in docs if d.get("kind") == "SLO"]
    if not slos:
        raise ConfigError("no kind: SLO document", key=source)
    for index, doc in enumerate(docs):
        if doc.get("kind") != "SLO":
            continue
        name = (doc.get("metadata") or {}).get("name", f"document[{index}]")
        where = f"{source} SLO {name}"
        spec = doc.get("spec") or {}
        indicator = (spec.get("indicator") or {}).get("spec")
        if indicator is None and spec.get("indicatorRef"):
            indicator = slis.get(str(spec["indicatorRef"]))
            if indicator is None:
                raise ConfigError(
                    f"indicatorRef {spec['indicatorRef']!r} names no SLI document", key=where
                )
        if not isinstance(indicator, dict):
            raise ConfigError("has no indicator", key=f"{where}.spec.indicator")
        for o_index, objective in enumerate(spec.get("objectives") or []):
            key = f"{where}.spec.objectives[{o_index}]"
            target = objective.get("target")
            if target is None:
                raise ConfigError("objective without target (targetPercent is not read)", key=key)
            if "thresholdMetric" in indicator:
                if objective.get("op") not in ("lt", "lte"):
                    raise ConfigError(
                        f"op {objective.get('op')!r}: only lt/lte thresholds map to latency",
                        key=key,
                    )
                if float(target) < 0.95:
                    raise ConfigError(
                        f"target {target}: below 0.95 says nothing about the p95 latency", key=key
                    )
                values["latency_p95_ms"] = float(objective["value"])
            elif "ratioMetric" in indicator:
                values["error_rate"] = round(1.0 - float(target), 10)
            else:
                raise ConfigError("indicator is neither thresholdMetric nor ratioMetric", key=key)
        windows = spec.get("timeWindow") or []
        if windows:
            try:
                values["window"] = format_duration(openslo_duration(windows[0].get("duration")))
            except (ValueError, AttributeError) as exc:
                raise ConfigError(str(exc), key=f"{where}.spec.timeWindow[0].duration") from None
    return values


def openslo_from_slo(integration: Integration) -> list[dict[str, Any]]:
    """OpenSLO v1 SLO documents for the integration's objectives (latency p95, error rate)."""
    slo = integration.slo
    window = [{"duration": _window(slo.window), "isRolling": True}]
    docs = []

    def metric(name: str) -> dict[str, Any]:
        return {
            "metricSource": {
                "type": "Seamwatch",
                "spec": {"integration": integration.id, "metric": name},
            }
        }

    if slo.latency_p95_ms is not None:
        docs.append(
            _slo(
                integration,
                "latency",
                "p95 latency",
                {"thresholdMetric": metric("latency_p95_ms")},
                window,
                {
                    "displayName": "p95 latency",
                    "op": "lte",
                    "value": slo.latency_p95_ms,
                    "target": 0.95,
                },
            )
        )
    if slo.error_rate is not None:
        docs.append(
            _slo(
                integration,
                "errors",
                "error rate",
                {"ratioMetric": {"good": metric("throughput_ok"), "total": metric("throughput")}},
                window,
                {"displayName": "share without error", "target": round(1 - slo.error_rate, 10)},
            )
        )
    return docs


def _slo(
    integration: Integration,
    suffix: str,
    what: str,
    indicator: dict[str, Any],
    window: list[dict[str, Any]],
    objective: dict[str, Any],
) -> dict[str, Any]:
    return {
        "apiVersion": API_VERSION,
        "kind": "SLO",
        "metadata": {
            "name": f"{integration.id}-{suffix}",
            "displayName": f"{integration.name}: {what}",
        },
        "spec": {
            "description": f"{what} of {integration.id} (exported by Seamwatch)",
            "service": integration.id,
            "indicator": {"metadata": {"name": f"{integration.id}-{suffix}"}, "spec": indicator},
            "timeWindow": window,
            "budgetingMethod": "Occurrences",
            "objectives": [objective],
        },
    }


def _window(value: timedelta) -> str:
    days = value.total_seconds() / 86400
    if days == int(days) and days >= 1:
        return f"{int(days)}d"
    return f"{int(value.total_seconds() // 60)}m"
