"""Collectors: one module per source kind; each turns a source into rows of samples.

Adding a kind is one module with a Source subclass plus one line in SOURCE_KINDS, and an entry
in the conformance battery (tests/test_collect_conformance.py), which every kind must pass.

The registry holds dotted paths, imported on first use (as healthchecks' TRANSPORTS does):
importing `collectors` imports no source module, so a command that builds no source (`--help`,
`--version`) never pays for scipy (the demo) or the HTTP clients.
"""

from __future__ import annotations

from functools import cache
from importlib import import_module
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from collectors.base import Batch, CollectContext, Failure, FailureKind, Problem, Source
    from seamwatch.config import Settings

# kind (the `kind` of a [[sources]] block) -> "module.Class"
SOURCE_KINDS: dict[str, str] = {
    "demo": "collectors.demo.DemoSource",
    "prometheus": "collectors.prometheus.PrometheusSource",
    "http_json": "collectors.http_json.HttpJsonSource",
    "scrape": "collectors.scrape.ScrapeSource",
    "rabbitmq": "collectors.rabbitmq.RabbitMqSource",
    "probe": "collectors.probe.ProbeSource",
}

# The small base's names, imported from collectors.base when first asked for.
_BASE = ("Batch", "CollectContext", "Failure", "FailureKind", "Problem", "Source")

__all__ = [
    "SOURCE_KINDS",
    "Batch",
    "CollectContext",
    "Failure",
    "FailureKind",
    "Problem",
    "Source",
    "build_source",
    "build_sources",
    "source_class",
]


def __getattr__(name: str) -> Any:
    if name in _BASE:
        return getattr(import_module("collectors.base"), name)
    raise AttributeError(f"module 'collectors' has no attribute {name!r}")


@cache
def source_class(kind: str) -> type[Source]:
    """The Source subclass of a registered kind, its module imported now; KeyError if unknown."""
    module, _, name = SOURCE_KINDS[kind].rpartition(".")
    cls: type[Source] = getattr(import_module(module), name)
    return cls


def build_source(settings: Settings, index: int) -> Source:
    """Validate the kind-specific options of sources[index] and build its Source."""
    from seamwatch.config import validate_block
    from seamwatch.errors import ConfigError

    block = settings.sources[index]
    if block.kind not in SOURCE_KINDS:
        raise ConfigError(
            f"unknown source kind {block.kind!r} (known: {', '.join(sorted(SOURCE_KINDS))})",
            path=settings.config_path,
            key=f"sources[{index}].kind",
        )
    cls = source_class(block.kind)
    options = validate_block(cls.Options, block.options(), settings, ("sources", index))
    return cls(block, options)


def build_sources(settings: Settings) -> list[Source]:
    """Every configured source, validated; the first bad block raises a ConfigError."""
    return [build_source(settings, i) for i in range(len(settings.sources))]
