"""The prometheus source: one fleet PromQL query per metric, a label naming the integration.

`sum by (integration) (rate(messages_total[5m]))` answers for a thousand integrations in one
request, so a cycle costs six queries, not six thousand. Integrations that need a query of their
own (a legacy service with different metric names) get one under `per_integration`; such a query
returns one series and needs no label. Instant queries are evaluated at the cycle time
(`ctx.now`, aligned to the interval), range queries backfill history in chunks.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cached_property
from itertools import chain, repeat
from typing import Any, ClassVar

import numpy as np
import requests
from prometheus_api_client import PrometheusConnect
from pydantic import Field, field_validator, model_validator
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from collectors.base import Batch, CollectContext, FailureKind, Problem, Source
from collectors.http import HttpOptions, capped_response_hook, classify, describe_error
from collectors.samples import SampleBuilder
from seamwatch.config.base import StrictModel
from seamwatch.config.sections import Slug
from seamwatch.durations import Duration
from seamwatch.metrics import Metric
from seamwatch.timeutil import align, ensure_utc

log = logging.getLogger(__name__)

__all__ = ["PrometheusOptions", "PrometheusSource"]

MAX_POINTS = 10_000  # Prometheus refuses range queries of more than 11,000 points per series
# Samples one backfill chunk may hold (all its queries together): a large fleet's day at one
# minute would be tens of millions of decoded JSON values, so its chunks shrink to this.
CHUNK_SAMPLES = 2_000_000


class PrometheusOptions(HttpOptions):
    """Keys of a `kind = "prometheus"` source."""

    url: str = Field(pattern=r"^https?://", description="the Prometheus (or compatible) base URL")
    integration_label: str = "integration"
    metrics: dict[Metric, str] = Field(default_factory=dict, description="fleet PromQL per metric")
    per_integration: dict[Slug, dict[Metric, str]] = Field(default_factory=dict)
    step: Duration | None = None
    backfill_chunk: Duration = timedelta(days=1)

    @field_validator("url")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @model_validator(mode="after")
    def _some_query(self) -> PrometheusOptions:
        if not self.metrics and not self.per_integration:
            raise ValueError("give at least one query in `metrics` or `per_integration`")
        for query in [*self.metrics.values()] + [
            q for qs in self.per_integration.values() for q in qs.values()
        ]:
            if not query.strip():
                raise ValueError("a PromQL query is empty")
        return self


@dataclass(frozen=True)
class _Query:
    """One PromQL query: a fleet query (integration None) or one integration's own query."""

    metric: Metric
    promql: str
    integration: str | None = None


class PrometheusSource(Source):
    """Fleet PromQL per metric through prometheus-api-client, queries run concurrently."""

    kind: ClassVar[str] = "prometheus"
    Options: ClassVar[type[StrictModel]] = PrometheusOptions

    @property
    def opts(self) -> PrometheusOptions:
        assert isinstance(self.options, PrometheusOptions)
        return self.options

    @property
    def step(self) -> timedelta:
        """Spacing of backfilled points: `step`, else the source interval."""
        return self.opts.step or max(self.interval, timedelta(seconds=1))

    def queries(self) -> list[_Query]:
        """Every query of a cycle: the fleet ones, then the per-integration ones."""
        found = [_Query(metric, promql) for metric, promql in self.opts.metrics.items()]
        for integration, metrics in self.opts.per_integration.items():
            found += [_Query(metric, promql, integration) for metric, promql in metrics.items()]
        return found

    def integrations(self) -> set[str] | None:
        """The integrations named under `per_integration` (fleet queries name none)."""
        return set(self.opts.per_integration) or None

    def collect(self, ctx: CollectContext) -> Batch:
        """Instant queries at ctx.now; one sample per integration and metric."""
        at = ensure_utc(ctx.now)
        builder = SampleBuilder(self.name, ctx.inventory)
        client = self._client

        def run(query: _Query) -> tuple[_Query, list[dict[str, Any]] | None, Problem | None]:
            try:
                params = {"time": f"{at.timestamp():.3f}"}
                return (
                    query,
                    client.custom_query(query.promql, params=params, timeout=self._timeout),
                    None,
                )
            except Exception as exc:
                return query, None, self._describe(exc, query.promql)

        for query, series, error in self._each(run, self.queries()):
            if error is not None:
                builder.fail(error, query.integration, query.metric)
                continue
            self._map(builder, query, series or [], instant_at=at)
        return builder.batch()

    def backfill(self, ctx: CollectContext, start: datetime, end: datetime) -> Iterator[Batch]:
        """Range queries over [start, end) at `step`, one batch per chunk of `backfill_chunk`
        (shorter for a large fleet: a chunk holds at most about CHUNK_SAMPLES samples)."""
        step = self.step
        queries = self.queries()
        fleet = sum(1 for q in queries if q.integration is None)
        # First guess: one series per inventoried integration and fleet query; then measured.
        series = max(1, fleet * len(ctx.inventory) + len(queries) - fleet)
        chunk = _chunk(self.opts.backfill_chunk, step, series)
        cursor = align(start, step)
        if cursor < ensure_utc(start):
            cursor += step
        end = ensure_utc(end)
        client = self._client
        step_text = f"{int(step.total_seconds())}s"
        while cursor < end:
            upto = min(cursor + chunk, end)
            last = upto - step if upto - step >= cursor else cursor  # [cursor, upto): no overlap
            builder = SampleBuilder(self.name, ctx.inventory)

            def run(
                query: _Query, lo: datetime = cursor, hi: datetime = last
            ) -> tuple[_Query, list[dict[str, Any]] | None, Problem | None]:
                try:
                    series = client.custom_query_range(
                        query.promql,
                        start_time=lo,
                        end_time=hi,
                        step=step_text,
                        timeout=self._timeout,
                    )
                    return query, series, None
                except Exception as exc:
                    return query, None, self._describe(exc, query.promql)

            for query, answer, error in self._each(run, queries):
                if error is not None:
                    span = f"range {cursor:%Y-%m-%d %H:%M}..{upto:%Y-%m-%d %H:%M} UTC"
                    builder.fail(
                        Problem(error.kind, f"{error} ({span})"), query.integration, query.metric
                    )
                    continue
                self._map(builder, query, answer or [], instant_at=None)
            log.info(
                "backfill %s: %s..%s, %d samples",
                self.name,
                cursor.isoformat(),
                upto.isoformat(),
                builder.count,
            )
            steps = max(1, round((upto - cursor) / step))
            if builder.count:
                chunk = _chunk(self.opts.backfill_chunk, step, -(-builder.count // steps))
            yield builder.batch()
            cursor = upto

    # -- internals ---------------------------------------------------------------------------

    @property
    def _timeout(self) -> float:
        return self.settings.timeout.total_seconds()

    @cached_property
    def _client(self) -> PrometheusConnect:
        """One client, and so one session (its connection pool), for every cycle of the source."""
        opts = self.opts
        session = requests.Session()
        session.verify = opts.verify()
        # No retries inside a cycle: a failing query costs one timeout; the next cycle retries.
        retry = Retry(total=0, connect=0, read=0, status=0, raise_on_status=False)
        session.hooks["response"] += [
            capped_response_hook(int(opts.max_response_size), self._timeout),
            _refusal_hook,
        ]
        client = PrometheusConnect(
            url=opts.url,
            headers=opts.request_headers() or None,
            auth=opts.basic_auth(),
            session=session,
            retry=retry,
            timeout=self._timeout,
        )
        # after the client's own mount of the same prefix: a pool as wide as the concurrency
        session.mount(opts.url, HTTPAdapter(max_retries=retry, pool_maxsize=opts.concurrency))
        return client

    def _each(self, run: Any, queries: list[_Query]) -> list[tuple[_Query, Any, Problem | None]]:
        if len(queries) == 1:
            return [run(queries[0])]
        with ThreadPoolExecutor(max_workers=min(self.opts.concurrency, len(queries))) as pool:
            return list(pool.map(run, queries))

    def _describe(self, exc: BaseException, promql: str) -> Problem:
        """What went wrong with a query, by the exception's type: Prometheus' own errorType and
        error when it refused the query, else the request's failure; the query is named."""
        where = f"{self.opts.url}/api/v1/query"
        if isinstance(exc, QueryRefused):
            return Problem(
                exc.kind, f"query failed (HTTP {exc.status}): {exc.detail} — query: {promql}"
            )
        if isinstance(exc, requests.exceptions.JSONDecodeError | json.JSONDecodeError):
            return Problem(FailureKind.ANSWER, f"invalid JSON from {where} — query: {promql}")
        if isinstance(exc, KeyError | TypeError):
            message = f"unexpected answer from {where} (no data.result) — query: {promql}"
            return Problem(FailureKind.ANSWER, message)
        message = describe_error(exc, where, timeout=self._timeout)
        return Problem(classify(exc), f"{message} — query: {promql}")

    def _map(
        self,
        builder: SampleBuilder,
        query: _Query,
        series: list[dict[str, Any]],
        *,
        instant_at: datetime | None,
    ) -> None:
        """Turn a query result (vector or matrix) into samples, one integration per series."""
        label = self.opts.integration_label
        where = f"query {query.promql}"
        if query.integration is not None and len(series) > 1:
            builder.fail(
                f"returned {len(series)} series, expected one for integration "
                f"{query.integration} (aggregate it, e.g. with sum(...)) — {where}",
                query.integration,
                query.metric,
            )
            return
        # One pass over the decoded series for their labels; values go to Arrow column-wise.
        ids = [query.integration or item.get("metric", {}).get(label) for item in series]
        first_of: dict[str, int] = {}
        kept: list[int] = []
        for index, integration in enumerate(ids):  # per series, not per sample
            if not integration:
                labels = series[index].get("metric", {})
                builder.fail(
                    f"a series has no {label!r} label ({_selector(labels)}); "
                    f"aggregate with `by ({label})` — {where}",
                    metric=query.metric,
                )
            elif integration in first_of:
                builder.fail(
                    f"several series for integration {integration!r}; "
                    f"aggregate with `sum by ({label})` — {where}",
                    integration,
                    query.metric,
                )
            else:
                first_of[integration] = index
                kept.append(index)
        if instant_at is not None:
            points = [series[i].get("value") or (None, None) for i in kept]
            builder.add_columns(
                instant_at,
                [ids[i] for i in kept],
                query.metric,
                [point[1] for point in points],
                where=where,
            )
            return
        columns = [tuple(zip(*(series[i].get("values") or ()), strict=True)) for i in kept]
        lengths = [len(c[0]) if c else 0 for c in columns]
        builder.add_columns(
            np.fromiter(chain.from_iterable(c[0] for c in columns if c), np.float64),
            list(
                chain.from_iterable(repeat(ids[i], k) for i, k in zip(kept, lengths, strict=True))
            ),
            query.metric,
            list(chain.from_iterable(c[1] for c in columns if c)),
            where=where,
            timed=True,
        )


def _chunk(configured: timedelta, step: timedelta, series: int) -> timedelta:
    """A backfill chunk: `backfill_chunk`, within Prometheus' points per series and within
    CHUNK_SAMPLES for `series` series, and at least one step."""
    return max(step, min(configured, step * MAX_POINTS, step * (CHUNK_SAMPLES // max(1, series))))


class QueryRefused(Exception):
    """The server answered a query with an error status: Prometheus' `errorType` and `error`
    from its JSON answer (or the start of a body that is not that JSON, from a proxy)."""

    def __init__(self, status: int, error_type: str | None, error: str) -> None:
        self.status, self.error_type, self.error = status, error_type, error
        super().__init__(f"HTTP {status}: {self.detail}")

    @property
    def detail(self) -> str:
        """`errorType: error` as Prometheus words it, or the body's text."""
        return f"{self.error_type}: {self.error}" if self.error_type else self.error

    @property
    def kind(self) -> FailureKind:
        """The query timed out on the server, was refused (errorType), or a proxy said no."""
        if self.error_type == "timeout":
            return FailureKind.TIMEOUT
        return FailureKind.QUERY if self.error_type else FailureKind.HTTP


def _refusal_hook(response: requests.Response, *_args: Any, **_kwargs: Any) -> requests.Response:
    """A response hook raising QueryRefused for an answer other than 200, read from the body as
    the query API documents it: `{"status": "error", "errorType": ..., "error": ...}`."""
    if response.status_code == 200:
        return response
    body = response.content or b""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        doc = None
    if isinstance(doc, dict) and doc.get("errorType") is not None:
        raise QueryRefused(response.status_code, str(doc["errorType"]), str(doc.get("error", "")))
    text = body[:300].decode("utf-8", "replace").strip() or "empty answer"
    raise QueryRefused(response.status_code, None, text)


def _selector(labels: dict[str, str]) -> str:
    name = labels.get("__name__", "")
    rest = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()) if k != "__name__")
    return f"{name}{{{rest}}}"
