"""The scrape source: a service's own Prometheus-format /metrics, read directly.

For services no Prometheus scrapes. The text is parsed with prometheus_client's exposition
parser. What a metric becomes depends on its family's type:

- counter: a rate per second between this scrape and the previous one, over the real time
  between the two fetches (values and fetch time kept across cycles in the source state; a
  counter that went down was reset, and its new value is the increase, as Prometheus' rate()
  counts it); with `per`, the ratio of two counters' rates
  (errors per request: an error rate);
- histogram: p50/p95/p99 from the bucket increases between scrapes, interpolated within the
  bucket the way Prometheus' histogram_quantile does; a summary's matching quantile as it is;
- gauge (or untyped): the value as it is.

Series are summed per integration; the integration is a label of the series
(`integration_label`) or fixed per target. A first scrape of a counter or histogram only
primes the state: a rate needs two points. Samples are stamped with the aligned cycle time;
rates divide by the wall time between the fetches, which drifts from the cycle spacing.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from prometheus_client.parser import text_string_to_metric_families
from prometheus_client.samples import Sample
from pydantic import Field, field_validator, model_validator

from collectors.base import Batch, CollectContext, Source
from collectors.http import HttpOptions, Request, fetch_all
from collectors.samples import SampleBuilder
from seamwatch.config.base import StrictModel
from seamwatch.config.sections import Slug
from seamwatch.metrics import LATENCY_METRICS, Metric

log = logging.getLogger(__name__)

__all__ = ["ScrapeOptions", "ScrapeSource", "bucket_quantile"]

QUANTILES: dict[Metric, float] = {
    Metric.LATENCY_P50_MS: 0.5,
    Metric.LATENCY_P95_MS: 0.95,
    Metric.LATENCY_P99_MS: 0.99,
}
STATE_PREFIX = "scrape:"


class MetricRule(StrictModel):
    """How one Seamwatch metric is read from the exposition."""

    family: str = Field(min_length=1, description="metric family name, e.g. orders_total")
    per: str | None = Field(default=None, description="divide by this counter's rate")
    scale: float | None = None
    match: dict[str, str] = Field(
        default_factory=dict,
        description='only series whose labels match: "400" (equal), "!=200", "=~4..", "!~2.."',
    )
    per_match: dict[str, str] | None = Field(
        default=None,
        description="the series of `per` to divide by; default: every series when `per` is the "
        "family itself (a share: code=~4.. of all requests), else the same `match`",
    )

    @field_validator("match", "per_match")
    @classmethod
    def _matchers(cls, value: dict[str, str] | None) -> dict[str, str] | None:
        for label, spec in (value or {}).items():
            if spec.startswith(("=~", "!~")):
                try:
                    re.compile(spec[2:])
                except re.error as exc:
                    raise ValueError(
                        f"{label} = {spec!r}: not a regular expression ({exc})"
                    ) from None
        return value

    def denominator_match(self) -> dict[str, str]:
        """The label matchers of the `per` counter's series."""
        if self.per_match is not None:
            return self.per_match
        return {} if self.per == self.family else self.match

    @field_validator("family", "per")
    @classmethod
    def _family_name(cls, value: str | None) -> str | None:
        if value is None:
            return value
        for suffix in ("_bucket", "_count", "_sum", "_created"):
            if value.endswith(suffix):
                raise ValueError(f"{value!r}: name the family without {suffix}")
        return value


class Target(StrictModel):
    """One /metrics URL, optionally belonging to one integration as a whole."""

    url: str = Field(pattern=r"^https?://")
    integration: Slug | None = None


class ScrapeOptions(HttpOptions):
    """Keys of a `kind = "scrape"` source."""

    targets: list[Target] = Field(min_length=1)
    integration_label: str = "integration"
    metrics: dict[Metric, MetricRule] = Field(min_length=1)

    @field_validator("targets", mode="before")
    @classmethod
    def _url_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"url": v} if isinstance(v, str) else v for v in value]
        return value

    @field_validator("metrics", mode="before")
    @classmethod
    def _family_strings(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"family": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @model_validator(mode="after")
    def _per_is_for_counters(self) -> ScrapeOptions:
        for metric, rule in self.metrics.items():
            if rule.per is not None and metric in LATENCY_METRICS:
                raise ValueError(f"metrics.{metric.value}: `per` divides counters, not latencies")
        return self


@dataclass
class _Parsed:
    """One target's exposition: samples per family name, and each family's type."""

    types: dict[str, str] = field(default_factory=dict)
    samples: dict[str, list[Sample]] = field(default_factory=dict)

    def family(self, name: str) -> tuple[str, list[Sample]] | None:
        """(type, samples) of a family, accepting counter names with or without _total."""
        for candidate in (name, name.removesuffix("_total")):
            if candidate in self.types:
                return self.types[candidate], self.samples[candidate]
        return None


class ScrapeSource(Source):
    """Prometheus text from each target, turned into rates, quantiles and gauges."""

    kind: ClassVar[str] = "scrape"
    Options: ClassVar[type[StrictModel]] = ScrapeOptions
    #: Wall time (epoch seconds) read around the fetches; tests replace it to fix elapsed time.
    clock: Callable[[], float] = staticmethod(time.time)

    @property
    def opts(self) -> ScrapeOptions:
        assert isinstance(self.options, ScrapeOptions)
        return self.options

    def integrations(self) -> set[str] | None:
        """Integrations fixed per target, if any."""
        named = {t.integration for t in self.opts.targets if t.integration}
        return named or None

    def collect(self, ctx: CollectContext) -> Batch:
        """Scrape every target concurrently; each target's counters are kept for the next cycle."""
        builder = SampleBuilder(self.name, ctx.inventory)
        state = dict(ctx.state)
        timeout = self.settings.timeout.total_seconds()
        requests = [Request(t.url, key=str(i)) for i, t in enumerate(self.opts.targets)]
        sent = self.clock()
        answers = fetch_all(requests, self.opts, timeout)
        done = self.clock()
        for fetched in answers:
            target = self.opts.targets[int(fetched.request.key)]
            # when this target answered: its counters' values are of that moment, not ctx.now
            now = min(sent + fetched.elapsed_ms / 1000.0, done)
            body, error = fetched.ok_body()
            if error is not None:
                builder.fail(error, target.integration)
                continue
            try:
                parsed = _parse((body or b"").decode("utf-8", "replace"))
            except Exception as exc:  # the parser raises ValueError and friends on bad text
                builder.fail(
                    f"cannot parse the Prometheus text from {target.url}: {exc}", target.integration
                )
                continue
            key = STATE_PREFIX + target.url
            previous = _load_state(state.get(key))
            counters = self._target(builder, ctx, target, parsed, previous, now)
            if previous is None or now > previous[0]:  # a clock stepped back keeps the newer state
                state[key] = json.dumps({"t": now, "v": counters}, separators=(",", ":"))
        return builder.batch(state)

    def _target(
        self,
        builder: SampleBuilder,
        ctx: CollectContext,
        target: Target,
        parsed: _Parsed,
        previous: tuple[float, dict[str, float]] | None,
        now: float,
    ) -> dict[str, float]:
        """Samples of one target fetched at `now` (epoch seconds); returns its counter values."""
        kept: dict[str, float] = {}
        elapsed = now - previous[0] if previous else 0.0
        before = previous[1] if previous and elapsed > 0 else None
        for metric, rule in self.opts.metrics.items():
            where = f"{rule.family} from {target.url}"
            found = parsed.family(rule.family)
            if found is None:
                builder.fail(
                    f"{target.url} exposes no metric family {rule.family!r}",
                    target.integration,
                    metric,
                )
                continue
            kind, samples = found
            per_integration = self._by_integration(builder, target, rule, samples, metric)
            if per_integration is None:
                continue
            if kind == "counter":
                rates = self._rates(per_integration, rule.family, kept, before, elapsed)
                if rule.per is not None:
                    rates = self._ratio(
                        builder, target, rule, parsed, metric, rates, kept, before, elapsed
                    )
                for integration, value in (rates or {}).items():
                    builder.add(
                        ctx.now, integration, metric, _scaled(value, rule, metric), where=where
                    )
            elif kind == "histogram":
                self._histogram(builder, ctx, rule, metric, per_integration, kept, before, where)
            elif kind == "summary":
                self._summary(builder, ctx, rule, metric, per_integration, where)
            else:  # gauge, unknown (untyped), info, stateset: the value as it is
                for integration, series in per_integration.items():
                    total = math.fsum(s.value for s in series if not s.name.endswith("_created"))
                    builder.add(
                        ctx.now, integration, metric, _scaled(total, rule, metric), where=where
                    )
        return kept

    def _by_integration(
        self,
        builder: SampleBuilder,
        target: Target,
        rule: MetricRule,
        samples: list[Sample],
        metric: Metric,
    ) -> dict[str, list[Sample]] | None:
        """The family's samples grouped per integration; unlabelled series are reported once."""
        label = self.opts.integration_label
        grouped: dict[str, list[Sample]] = defaultdict(list)
        unlabelled = 0
        for sample in samples:
            if not all(label_matches(sample.labels.get(k, ""), v) for k, v in rule.match.items()):
                continue
            integration = target.integration or sample.labels.get(label)
            if not integration:
                unlabelled += 1
                continue
            grouped[integration].append(sample)
        if unlabelled:
            builder.fail(
                f"{unlabelled} series of {rule.family} from {target.url} have no {label!r} label"
                " (set `integration` on the target, or add the label)",
                metric=metric,
            )
        if not samples:
            return None  # declared, but no series yet (a labelled metric nobody touched)
        if not grouped and not unlabelled:
            wanted = f" with labels {rule.match}" if rule.match else ""
            builder.fail(
                f"{target.url} has no series of {rule.family}{wanted}", target.integration, metric
            )
            return None
        return grouped

    def _rates(
        self,
        grouped: dict[str, list[Sample]],
        family: str,
        kept: dict[str, float],
        before: dict[str, float] | None,
        elapsed: float,
    ) -> dict[str, float] | None:
        """Per-second increase per integration, summed over its series; None on a first scrape."""
        rates: dict[str, float] = {}
        for integration, series in grouped.items():
            increase, complete = 0.0, before is not None
            for sample in series:
                if not sample.name.endswith("_total") and sample.name != family:
                    continue  # _created
                key = _series_key(sample)
                kept[key] = sample.value
                if before is not None:
                    if key in before:
                        increase += _increase(before[key], sample.value)
                    else:  # a series born since the last scrape: count from zero
                        increase += sample.value
            if complete:
                rates[integration] = increase / elapsed
        return rates if before is not None else None

    def _ratio(
        self,
        builder: SampleBuilder,
        target: Target,
        rule: MetricRule,
        parsed: _Parsed,
        metric: Metric,
        rates: dict[str, float] | None,
        kept: dict[str, float],
        before: dict[str, float] | None,
        elapsed: float,
    ) -> dict[str, float] | None:
        """rate(family) / rate(per) per integration; 0 when neither moved."""
        assert rule.per is not None
        found = parsed.family(rule.per)
        if found is None or found[0] != "counter":
            builder.fail(
                f"{target.url} exposes no counter {rule.per!r} (the `per` of {metric.value})",
                target.integration,
                metric,
            )
            return None
        per_rule = MetricRule(family=rule.per, match=rule.denominator_match())
        grouped = self._by_integration(builder, target, per_rule, found[1], metric)
        totals = self._rates(grouped or {}, rule.per, kept, before, elapsed)
        if rates is None or totals is None:
            return None
        ratios: dict[str, float] = {}
        for integration, total in totals.items():
            part = rates.get(integration, 0.0)
            ratios[integration] = part / total if total > 0 else (0.0 if part == 0 else math.inf)
        return ratios

    def _histogram(
        self,
        builder: SampleBuilder,
        ctx: CollectContext,
        rule: MetricRule,
        metric: Metric,
        grouped: dict[str, list[Sample]],
        kept: dict[str, float],
        before: dict[str, float] | None,
        where: str,
    ) -> None:
        """Quantile of the observations made between the two scrapes, from bucket increases."""
        q = QUANTILES.get(metric)
        if q is None:
            builder.fail(f"{rule.family} is a histogram; map it to a latency metric", metric=metric)
            return
        for integration, series in grouped.items():
            buckets: dict[float, float] = defaultdict(float)
            for sample in series:
                if not sample.name.endswith("_bucket"):
                    continue
                key = _series_key(sample)
                kept[key] = sample.value
                if before is not None:
                    previous = before.get(key, 0.0)
                    buckets[float(sample.labels["le"])] += _increase(previous, sample.value)
            if before is None:
                continue
            value = bucket_quantile(q, sorted(buckets.items()))
            if value is None:
                continue  # nothing observed between the scrapes: no latency to report
            builder.add(ctx.now, integration, metric, _scaled(value, rule, metric), where=where)

    def _summary(
        self,
        builder: SampleBuilder,
        ctx: CollectContext,
        rule: MetricRule,
        metric: Metric,
        grouped: dict[str, list[Sample]],
        where: str,
    ) -> None:
        """A summary's own quantile (the service computed it); several series: the worst."""
        q = QUANTILES.get(metric)
        for integration, series in grouped.items():
            values = [
                s.value
                for s in series
                if "quantile" in s.labels and q is not None and float(s.labels["quantile"]) == q
            ]
            if not values:
                builder.fail(f"{rule.family} has no quantile {q} series", integration, metric)
                continue
            builder.add(
                ctx.now, integration, metric, _scaled(max(values), rule, metric), where=where
            )


def bucket_quantile(q: float, buckets: list[tuple[float, float]]) -> float | None:
    """The q-quantile from cumulative (upper bound, count) buckets, as histogram_quantile does.

    Linear interpolation inside the bucket holding the rank; the lowest bucket starts at 0
    (for a positive bound); a rank in the +Inf bucket gives the highest finite bound. None when
    the buckets hold no observations; NaN without a +Inf bucket.
    """
    if not buckets:
        return None
    if not math.isinf(buckets[-1][0]):
        return math.nan
    counts, running = [], 0.0
    for _, count in buckets:  # increases after resets may break monotonicity; restore it
        running = max(running, count)
        counts.append(running)
    total = counts[-1]
    if total <= 0:
        return None
    rank = q * total
    index = next(i for i, c in enumerate(counts) if c >= rank)
    if index == len(buckets) - 1:
        return buckets[-2][0] if len(buckets) > 1 else math.nan
    upper = buckets[index][0]
    if index == 0 and upper <= 0:
        return upper
    lower = 0.0 if index == 0 else buckets[index - 1][0]
    below = 0.0 if index == 0 else counts[index - 1]
    inside = counts[index] - below
    if inside <= 0:
        return upper
    return lower + (upper - lower) * (rank - below) / inside


def _parse(text: str) -> _Parsed:
    parsed = _Parsed()
    for family in text_string_to_metric_families(text):
        kind = family.type
        if kind == "unknown" and family.name.endswith("_total"):
            kind = "counter"  # untyped, but named like a counter: treat it as one
        parsed.types[family.name] = kind
        parsed.samples.setdefault(family.name, []).extend(family.samples)
    return parsed


def _increase(previous: float, current: float) -> float:
    """Counter increase; a value below the previous one means the counter was reset."""
    return current - previous if current >= previous else current


def label_matches(value: str, spec: str) -> bool:
    """A label value against a matcher as PromQL writes them: "x" or "=x" (equal), "!=x",
    "=~re" and "!~re" (anchored regular expressions)."""
    if spec.startswith("=~"):
        return re.fullmatch(spec[2:], value) is not None
    if spec.startswith("!~"):
        return re.fullmatch(spec[2:], value) is None
    if spec.startswith("!="):
        return value != spec[2:]
    return value == spec.removeprefix("=")


def _series_key(sample: Sample) -> str:
    labels = ",".join(f"{k}={v}" for k, v in sorted(sample.labels.items()))
    return f"{sample.name}{{{labels}}}"


def _scaled(value: float, rule: MetricRule, metric: Metric) -> float:
    if rule.scale is not None:
        return value * rule.scale
    if metric in LATENCY_METRICS and rule.family.endswith("_seconds"):
        return value * 1000.0  # Prometheus convention: base unit seconds; Seamwatch: ms
    return value


def _load_state(raw: str | None) -> tuple[float, dict[str, float]] | None:
    if not raw:
        return None
    try:
        doc = json.loads(raw)
        return float(doc["t"]), {str(k): float(v) for k, v in doc["v"].items()}
    except (ValueError, KeyError, TypeError, AttributeError):
        log.warning("scrape state %r is unreadable; starting over", raw[:80])
        return None
