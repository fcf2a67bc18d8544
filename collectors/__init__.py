"""Collectors: one module per source kind; each turns a source into rows of samples.

Adding a kind is one module with a Source subclass plus one line in SOURCE_KINDS.
"""

from __future__ import annotations

from collectors.base import Batch, CollectContext, Failure, Source
from collectors.demo import DemoSource
from collectors.http_json import HttpJsonSource
from collectors.probe import ProbeSource
from collectors.prometheus import PrometheusSource
from collectors.rabbitmq import RabbitMqSource
from collectors.scrape import ScrapeSource
from seamwatch.config import Settings, SourceSettings, validate_block
from seamwatch.errors import ConfigError

SOURCE_KINDS: dict[str, type[Source]] = {
    "demo": DemoSource,
    "prometheus": PrometheusSource,
    "http_json": HttpJsonSource,
    "scrape": ScrapeSource,
    "rabbitmq": RabbitMqSource,
    "probe": ProbeSource,
}

__all__ = [
    "SOURCE_KINDS",
    "Batch",
    "CollectContext",
    "Failure",
    "Source",
    "build_source",
    "build_sources",
]


def build_source(settings: Settings, index: int) -> Source:
    """Validate the kind-specific options of sources[index] and build its Source."""
    block: SourceSettings = settings.sources[index]
    cls = SOURCE_KINDS.get(block.kind)
    if cls is None:
        raise ConfigError(
            f"unknown source kind {block.kind!r} (known: {', '.join(sorted(SOURCE_KINDS))})",
            path=settings.config_path,
            key=f"sources[{index}].kind",
        )
    options = validate_block(cls.Options, block.options(), settings, ("sources", index))
    return cls(block, options)


def build_sources(settings: Settings) -> list[Source]:
    """Every configured source, validated; the first bad block raises a ConfigError."""
    return [build_source(settings, i) for i in range(len(settings.sources))]
