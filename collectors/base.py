"""The small base every source kind implements: a config model and one collect method."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import ClassVar

import pyarrow as pa

from seamwatch.config import SourceSettings
from seamwatch.config.base import StrictModel
from seamwatch.inventory import Inventory
from seamwatch.store import empty_samples


class NoOptions(StrictModel):
    """For kinds without options of their own."""


class FailureKind(StrEnum):
    """What kind of failure a cycle met, decided from exception types (and their causes) or
    from the answer's structure, never from an exception's text."""

    TIMEOUT = "timeout"  # no (complete) answer within the source's timeout
    DNS = "dns"  # the host name does not resolve
    REFUSED = "refused"  # nothing listens on the port
    TLS = "tls"  # certificate or handshake
    CONNECT = "connect"  # any other connection-level failure (reset, unreachable, CA file)
    TOO_LARGE = "too_large"  # the answer exceeded max_response_size
    HTTP = "http"  # an answer with an error status
    QUERY = "query"  # the server refused the query itself (Prometheus' errorType)
    ANSWER = "answer"  # an answer that cannot be read (invalid JSON, unexpected shape)
    DATA = "data"  # the answer was read, but a value or series in it is unusable
    OWNER = "owner"  # the inventory gives the series to another source: not stored
    OTHER = "other"  # a request failure of any other type


@dataclass(frozen=True)
class Problem:
    """Why something could not be fetched or read: its kind and the sentence a user reads."""

    kind: FailureKind
    message: str

    def __str__(self) -> str:
        return self.message


@dataclass(frozen=True)
class Failure:
    """One integration (or metric, or query) a cycle could not collect, why, and what kind."""

    error: str
    integration: str | None = None
    metric: str | None = None
    kind: FailureKind = FailureKind.DATA

    def as_dict(self) -> dict[str, str | None]:
        return {
            "integration": self.integration,
            "metric": self.metric,
            "error": self.error,
            "kind": self.kind.value,
        }


@dataclass
class Batch:
    """What one cycle of one source produced: samples, what failed, and the source's new state.

    `state` is the whole state the source's next cycle must see (None: unchanged). It travels
    with the samples so the runner stores both, and the run record, as one unit: a cycle whose
    samples are lost never advances its state, and a spooled cycle spools its state too.
    """

    samples: pa.Table = field(default_factory=empty_samples)
    failures: list[Failure] = field(default_factory=list)
    state: Mapping[str, str] | None = None


@dataclass
class CollectContext:
    """What a source gets for a cycle: the aligned cycle time, the inventory and its own state.

    `state` is a small persistent key-value map private to the source (kept in the store),
    for things like counter values between scrapes or a demo's scenario anchor. It is read
    only: a source returns its new state in `Batch.state`.
    """

    now: datetime
    inventory: Inventory
    state: Mapping[str, str] = field(default_factory=dict)


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
