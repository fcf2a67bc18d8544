"""The rabbitmq source: dead-letter queues, work-queue backlogs and consumers, from the management API.

One paged `GET /api/queues` serves the whole broker. Queues map to integrations by rules, tried
in order, first match wins (for each metric: one queue can feed several metrics): a regular expression whose `integration` group names the
integration (`^(?P<integration>.+)\\.dlq$`, the default), or an exact queue name with its
integration. A rule reads the queue's depth (`messages`, `messages_ready`,
`messages_unacknowledged`), its `consumers`, or a rate (`publish_rate`, `deliver_rate`,
`ack_rate`) where the broker reports one; several queues of one integration add up. A work
queue is typically read three times: `messages_ready` as `backlog`, `consumers` as
`consumers`, `ack_rate` (or `deliver_rate` for auto-ack consumers) as `consume_rate`.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from typing import Any, ClassVar, Literal

from pydantic import Field, field_validator, model_validator

from collectors.base import Batch, CollectContext, FailureKind, Problem, Source
from collectors.http import HttpOptions, Request, fetch_all
from collectors.samples import SampleBuilder, as_number
from seamwatch.config.base import StrictModel
from seamwatch.config.sections import Slug
from seamwatch.metrics import Metric

log = logging.getLogger(__name__)

__all__ = ["QueueRule", "RabbitMqOptions", "RabbitMqSource"]

PAGE_SIZE = 500
MAX_PAGES = 200
Field_ = Literal[
    "messages",
    "messages_ready",
    "messages_unacknowledged",
    "consumers",
    "publish_rate",
    "deliver_rate",
    "ack_rate",
]
RATE_FIELDS = {
    "publish_rate": "publish_details",
    "deliver_rate": "deliver_get_details",
    "ack_rate": "ack_details",
}
COLUMNS = ",".join(
    [
        "name",
        "vhost",
        "messages",
        "messages_ready",
        "messages_unacknowledged",
        "consumers",
        *(f"message_stats.{detail}.rate" for detail in RATE_FIELDS.values()),
    ]
)


class QueueRule(StrictModel):
    """Which queues belong to which integration, and what to read from them."""

    pattern: str | None = None
    name: str | None = None
    integration: Slug | None = None
    vhost: str | None = None
    metric: Metric = Metric.DLQ_DEPTH
    field: Field_ = "messages"

    @field_validator("pattern")
    @classmethod
    def _compiles(cls, value: str | None) -> str | None:
        if value is not None:
            try:
                re.compile(value)
            except re.error as exc:
                raise ValueError(f"{value!r} is not a regular expression: {exc}") from None
        return value

    @model_validator(mode="after")
    def _one_way(self) -> QueueRule:
        if (self.pattern is None) == (self.name is None):
            raise ValueError("give either `pattern` or `name`")
        if self.name is not None and self.integration is None:
            raise ValueError("a rule with `name` needs the `integration` it belongs to")
        if (
            self.pattern is not None
            and self.integration is None
            and "integration" not in re.compile(self.pattern).groupindex
        ):
            raise ValueError(
                "a `pattern` needs a group (?P<integration>...) or a fixed `integration`"
            )
        return self

    def match(self, queue: str, vhost: str) -> str | None:
        """The integration this queue belongs to under this rule, or None."""
        if self.vhost is not None and vhost != self.vhost:
            return None
        if self.name is not None:
            return self.integration if queue == self.name else None
        assert self.pattern is not None
        found = re.fullmatch(self.pattern, queue)
        if not found:
            return None
        return self.integration or found.group("integration")

    def describe(self) -> str:
        """The rule as a user wrote it, for messages."""
        what = f"queue {self.name!r}" if self.name else f"pattern {self.pattern!r}"
        return what + (f" in vhost {self.vhost!r}" if self.vhost else "")


class RabbitMqOptions(HttpOptions):
    """Keys of a `kind = "rabbitmq"` source."""

    url: str = Field(pattern=r"^https?://", description="management API base, e.g. http://mq:15672")
    queues: list[QueueRule] = Field(
        default_factory=lambda: [QueueRule(pattern=r"(?P<integration>.+)\.dlq")], min_length=1
    )

    @field_validator("url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")


class RabbitMqSource(Source):
    """Queues of a RabbitMQ broker mapped to integrations by name or pattern."""

    kind: ClassVar[str] = "rabbitmq"
    Options: ClassVar[type[StrictModel]] = RabbitMqOptions

    @property
    def opts(self) -> RabbitMqOptions:
        assert isinstance(self.options, RabbitMqOptions)
        return self.options

    def integrations(self) -> set[str] | None:
        """Integrations the rules name explicitly."""
        named = {rule.integration for rule in self.opts.queues if rule.integration}
        return named or None

    def collect(self, ctx: CollectContext) -> Batch:
        """Read every queue once, sum each integration's matched values."""
        builder = SampleBuilder(self.name, ctx.inventory)
        queues, error = self._queues()
        if error is not None:
            builder.fail(error)
            return builder.batch()
        totals: dict[tuple[str, Metric], float] = defaultdict(float)
        used = [False] * len(self.opts.queues)
        for queue in queues:
            name, vhost = str(queue.get("name", "")), str(queue.get("vhost", ""))
            fed: set[Metric] = set()
            for index, rule in enumerate(self.opts.queues):
                if rule.metric in fed:
                    continue
                integration = rule.match(name, vhost)
                if integration is None:
                    continue
                used[index] = True
                fed.add(rule.metric)
                raw = _read(queue, rule.field)
                if raw is None:  # a rate the broker does not report (yet): nothing to add
                    continue
                number, problem = as_number(raw)
                if problem is not None or number is None:
                    builder.fail(
                        f"{problem} in {rule.field} of queue {name!r} (vhost {vhost!r})",
                        integration,
                        rule.metric,
                    )
                    continue
                totals[(integration, rule.metric)] += number
        for index, rule in enumerate(self.opts.queues):
            if not used[index]:
                builder.fail(
                    f"no queue on {self.opts.url} matches {rule.describe()}",
                    rule.integration,
                    rule.metric,
                )
        for (integration, metric), value in totals.items():
            builder.add(ctx.now, integration, metric, value, where=f"queues on {self.opts.url}")
        return builder.batch()

    def _queues(self) -> tuple[list[dict[str, Any]], Problem | None]:
        """Every queue of the broker, page by page."""
        timeout = self.settings.timeout.total_seconds()
        found: list[dict[str, Any]] = []
        page = 1
        while page <= MAX_PAGES:
            params = {"page": str(page), "page_size": str(PAGE_SIZE), "columns": COLUMNS}
            [fetched] = fetch_all(
                [Request(f"{self.opts.url}/api/queues", params=params)], self.opts, timeout
            )
            doc, error = fetched.json()
            if error is not None:
                return [], error
            if isinstance(doc, list):  # an API without paging answers with the plain list
                return doc, None
            if not isinstance(doc, dict) or not isinstance(doc.get("items"), list):
                message = f"unexpected answer from {fetched.where}: no list of queues"
                return [], Problem(FailureKind.ANSWER, message)
            found.extend(doc["items"])
            if page >= int(doc.get("page_count") or 1):
                return found, None
            page += 1
        return found, None


def _read(queue: dict[str, Any], field: str) -> Any:
    """The value of a field of a queue; None for a rate the broker does not report.

    A queue with message statistics but none of this kind (acks on a queue whose consumer never
    acknowledged) has a rate of 0, which is what a stalled consumer looks like.
    """
    if field in RATE_FIELDS:
        stats = queue.get("message_stats")
        if not isinstance(stats, dict):
            return None
        detail = stats.get(RATE_FIELDS[field]) or {}
        return detail.get("rate", 0.0)
    return queue.get(field)
