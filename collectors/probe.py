"""The probe source: synthetic HTTP checks of integration endpoints, for links that expose nothing.

Each cycle sends one request per target, concurrently, each bounded by the source timeout. A
probe fails when it gets no answer, or an answer with an unexpected status, or a body without
the expected text. The last `window` probes of each integration are kept in the source state:

- `error_rate` is the failed share of them;
- `latency_p50_ms`, `latency_p95_ms`, `latency_p99_ms` are quantiles of the successful ones;
- for https endpoints (unless `check_tls = false`), `cert_days_left` until the TLS certificate
  expires (the soonest of the integration's endpoints) and `cert_valid` (1 when every
  certificate verifies, 0 when one does not; not emitted with `verify_tls = false`).

A failed probe is a measurement of the integration, not a failure of the collector: it raises
the error rate; the run stays `ok`.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from typing import ClassVar, Literal

import numpy as np
from pydantic import Field, StrictBool, model_validator

from collectors.base import Batch, CollectContext, Source
from collectors.certs import check_certificates, tls_endpoint
from collectors.http import Fetched, HttpOptions, Request, fetch_all
from collectors.samples import SampleBuilder
from seamwatch.config.base import StrictModel
from seamwatch.config.sections import Slug
from seamwatch.metrics import Metric

log = logging.getLogger(__name__)

__all__ = ["ProbeOptions", "ProbeSource", "ProbeTarget"]

STATE_PREFIX = "probe:"
QUANTILES = (
    (Metric.LATENCY_P50_MS, 50.0),
    (Metric.LATENCY_P95_MS, 95.0),
    (Metric.LATENCY_P99_MS, 99.0),
)


class ProbeTarget(StrictModel):
    """One endpoint to check, and what counts as a good answer."""

    integration: Slug
    url: str = Field(pattern=r"^https?://")
    method: Literal["GET", "HEAD", "POST", "OPTIONS"] = "GET"
    expect_status: list[int] | None = None
    contains: str | None = None


class ProbeOptions(HttpOptions):
    """Keys of a `kind = "probe"` source."""

    targets: list[ProbeTarget] = Field(default_factory=list)
    from_inventory: StrictBool = Field(
        default=False,
        description="probe the endpoints of every inventory integration whose collect names this source",
    )
    expect_status: list[int] = Field(default_factory=list, description="empty: any 2xx or 3xx")
    window: int = Field(default=20, ge=1, le=1000, description="recent probes per integration")
    check_tls: bool = Field(default=True, description="read the certificates of https endpoints")

    @model_validator(mode="after")
    def _something(self) -> ProbeOptions:
        if not self.targets and not self.from_inventory:
            raise ValueError("give `targets`, or set `from_inventory = true`")
        return self


class ProbeSource(Source):
    """HTTP checks: status and latency per probe, error rate and quantiles over a window."""

    kind: ClassVar[str] = "probe"
    Options: ClassVar[type[StrictModel]] = ProbeOptions

    @property
    def opts(self) -> ProbeOptions:
        assert isinstance(self.options, ProbeOptions)
        return self.options

    def integrations(self) -> set[str] | None:
        """Integrations of the explicit targets."""
        return {t.integration for t in self.opts.targets} or None

    def targets(self, ctx: CollectContext) -> list[ProbeTarget]:
        """Explicit targets plus, with from_inventory, each endpoint of the integrations that
        name this source in their `collect` table."""
        found = list(self.opts.targets)
        if self.opts.from_inventory:
            for integration in ctx.inventory:
                if self.name in integration.collect.values():
                    found += [
                        ProbeTarget(integration=integration.id, url=url)
                        for url in integration.endpoints
                        if url.startswith(("http://", "https://"))
                    ]
        return found

    def collect(self, ctx: CollectContext) -> Batch:
        """Probe every target once; emit the window's error rate and latency quantiles."""
        builder = SampleBuilder(self.name, ctx.inventory)
        state = dict(ctx.state)
        targets = self.targets(ctx)
        if not targets:
            builder.fail(
                "no endpoints to probe: no target, and no inventory integration names this source"
            )
            return builder.batch()
        requests = [Request(t.url, key=str(i), method=t.method) for i, t in enumerate(targets)]
        fetched = fetch_all(requests, self.opts, self.settings.timeout.total_seconds())
        now = ctx.now.timestamp()
        outcomes: dict[str, list[tuple[float, int, float | None]]] = defaultdict(list)
        for target, answer in zip(targets, fetched, strict=True):
            ok, reason = self._judge(target, answer)
            if not ok:
                log.info("probe %s of %s failed: %s", target.url, target.integration, reason)
            outcomes[target.integration].append((now, int(ok), answer.elapsed_ms if ok else None))
        for integration, fresh in outcomes.items():
            key = STATE_PREFIX + integration
            history = [entry for entry in _load(state.get(key)) if entry[0] != now]
            history = sorted(history + fresh)[-self.opts.window * max(1, len(fresh)) :]
            state[key] = json.dumps(history, separators=(",", ":"))
            failed = sum(1 for _, good, _ in history if not good)
            builder.add(
                ctx.now, integration, Metric.ERROR_RATE, failed / len(history), where="probes"
            )
            latencies = np.array([ms for _, good, ms in history if good and ms is not None])
            if latencies.size:
                for metric, q in QUANTILES:
                    builder.add(
                        ctx.now,
                        integration,
                        metric,
                        float(np.percentile(latencies, q)),
                        where="probes",
                    )
        if self.opts.check_tls:
            self._certificates(ctx, targets, builder)
        return builder.batch(state)

    def _certificates(
        self, ctx: CollectContext, targets: list[ProbeTarget], builder: SampleBuilder
    ) -> None:
        """Days left and validity of each integration's https certificates (the worst of them)."""
        endpoints: dict[str, list[tuple[str, int]]] = {t.integration: [] for t in targets}
        for target in targets:
            endpoint = tls_endpoint(target.url)
            if endpoint is not None:
                endpoints[target.integration].append(endpoint)
        checks = check_certificates(
            [ep for eps in endpoints.values() for ep in eps],
            timeout=self.settings.timeout.total_seconds(),
            verify=self.opts.verify_tls,
            ca_file=self.opts.ca_file,
            concurrency=self.opts.concurrency,
        )
        for integration, eps in endpoints.items():
            found = [checks[ep] for ep in eps if checks[ep].not_after is not None]
            if not found:
                continue
            days = min(d for c in found if (d := c.days_left(ctx.now)) is not None)
            builder.add(ctx.now, integration, Metric.CERT_DAYS_LEFT, days, where="certificates")
            judged = [c.valid for c in found if c.valid is not None]
            if judged:
                builder.add(
                    ctx.now,
                    integration,
                    Metric.CERT_VALID,
                    float(all(judged)),
                    where="certificates",
                )

    def _judge(self, target: ProbeTarget, answer: Fetched) -> tuple[bool, str]:
        """Whether an answer counts as up, and if not, why."""
        if answer.error is not None or answer.status is None:
            return False, answer.error or "no answer"
        expected = target.expect_status or self.opts.expect_status
        if expected and answer.status not in expected:
            return False, f"HTTP {answer.status}, expected {expected}"
        if not expected and not 200 <= answer.status < 400:
            return False, f"HTTP {answer.status}"
        if target.contains is not None and target.contains.encode() not in answer.body:
            return False, f"the body does not contain {target.contains!r}"
        return True, "ok"


def _load(raw: str | None) -> list[tuple[float, int, float | None]]:
    if not raw:
        return []
    try:
        return [
            (float(t), int(ok), None if ms is None else float(ms)) for t, ok, ms in json.loads(raw)
        ]
    except (ValueError, TypeError):
        log.warning("probe state %r is unreadable; starting over", raw[:80])
        return []
