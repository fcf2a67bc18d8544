"""The small base every source kind implements: a config model and one collect method."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, MutableMapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import ClassVar

import pyarrow as pa

from seamwatch.config import SourceSettings
from seamwatch.config.base import StrictModel
from seamwatch.inventory import Inventory
from seamwatch.store import empty_samples


class NoOptions(StrictModel):
    """For kinds without options of their own."""


@dataclass(frozen=True)
class Failure:
    """One integration (or metric, or query) a cycle could not collect, and why."""

    error: str
    integration: str | None = None
    metric: str | None = None

    def as_dict(self) -> dict[str, str | None]:
        return {"integration": self.integration, "metric": self.metric, "error": self.error}


@dataclass
class Batch:
    """What one cycle of one source produced: samples plus what failed."""

    samples: pa.Table = field(default_factory=empty_samples)
    failures: list[Failure] = field(default_factory=list)


@dataclass
class CollectContext:
    """What a source gets for a cycle: the aligned cycle time, the inventory and its own state.

    `state` is a small persistent key-value map private to the source (kept in the store),
    for things like counter values between scrapes or a demo's scenario anchor.
    """

    now: datetime
    inventory: Inventory
    state: MutableMapping[str, str] = field(default_factory=dict)


class Source(ABC):
    """A source kind. Subclasses set `kind` and `Options` and implement `collect`."""

    kind: ClassVar[str]
    Options: ClassVar[type[StrictModel]] = NoOptions

    def __init__(self, settings: SourceSettings, options: StrictModel) -> None:
        self.settings = settings
        self.options = options

    @property
    def name(self) -> str:
        return self.settings.name

    @property
    def interval(self) -> timedelta:
        return self.settings.interval

    @abstractmethod
    def collect(self, ctx: CollectContext) -> Batch:
        """Collect one batch for every integration this source serves, at ctx.now."""

    def backfill(self, ctx: CollectContext, start: datetime, end: datetime) -> Iterator[Batch]:
        """Yield history between start and end in chunks; sources that keep none raise."""
        raise NotImplementedError(f"source kind {self.kind!r} keeps no history to backfill")

    def integrations(self) -> set[str] | None:
        """The integration ids this source is configured for, if it names them (for `check`)."""
        return None

    def metric_names(self) -> set[str] | None:
        """The metrics this source is configured to collect, if its options name them (for
        `check`: two sources writing one series need an owner in the inventory)."""
        metrics = getattr(self.options, "metrics", None)
        if isinstance(metrics, dict) and metrics:
            return {str(getattr(m, "value", m)) for m in metrics}
        return None
