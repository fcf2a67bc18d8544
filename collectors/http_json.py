"""The http_json source: an integration platform's or service's JSON stats, read by path.

Two shapes, chosen by the URL:

- a fleet endpoint (`https://ipaas/api/stats`): one document lists every integration, either as a
  list of objects (`items` path, an `id` path inside each) or as an object keyed by id;
- a per-integration endpoint (`https://svc/stats/{integration}`): one request per integration,
  for the ids under `integrations`, or by default every inventory integration whose `collect`
  names this source, so a thousand integrations need no list in config.toml.
"""

from __future__ import annotations

import logging
from typing import Any, ClassVar
from urllib.parse import quote

from pydantic import Field, field_validator, model_validator

from collectors.base import Batch, CollectContext, Source
from collectors.http import HttpOptions, Request, fetch_all
from collectors.paths import JsonPath, PathMiss, parse_path
from collectors.samples import SampleBuilder, as_number
from seamwatch.config.base import StrictModel
from seamwatch.config.sections import Slug
from seamwatch.metrics import Metric

log = logging.getLogger(__name__)

__all__ = ["HttpJsonOptions", "HttpJsonSource"]

PLACEHOLDER = "{integration}"


class HttpJsonOptions(HttpOptions):
    """Keys of a `kind = "http_json"` source."""

    url: str = Field(pattern=r"^https?://")
    metrics: dict[Metric, str] = Field(min_length=1, description="metric -> path to its value")
    items: str | None = None
    id: str = "id"
    integrations: list[Slug] | None = None
    scale: dict[Metric, float] = Field(default_factory=dict)

    @field_validator("metrics")
    @classmethod
    def _paths(cls, value: dict[Metric, str]) -> dict[Metric, str]:
        for path in value.values():
            parse_path(path)
        return value

    @field_validator("items", "id")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None:
            parse_path(value)
        return value

    @model_validator(mode="after")
    def _shape(self) -> HttpJsonOptions:
        templated = PLACEHOLDER in self.url
        if not templated and self.integrations is not None:
            raise ValueError(f"`integrations` needs a per-integration url containing {PLACEHOLDER}")
        if templated and self.items is not None:
            raise ValueError(f"`items` is for fleet endpoints; this url contains {PLACEHOLDER}")
        unknown = set(self.scale) - set(self.metrics)
        if unknown:
            raise ValueError(f"scale names metric(s) not in metrics: {', '.join(sorted(unknown))}")
        return self

    @property
    def per_integration(self) -> bool:
        """Whether the url is a template with one request per integration."""
        return PLACEHOLDER in self.url


class HttpJsonSource(Source):
    """JSON stats endpoints, fetched concurrently, values picked by path."""

    kind: ClassVar[str] = "http_json"
    Options: ClassVar[type[StrictModel]] = HttpJsonOptions

    @property
    def opts(self) -> HttpJsonOptions:
        assert isinstance(self.options, HttpJsonOptions)
        return self.options

    def integrations(self) -> set[str] | None:
        """The ids listed under `integrations`, if any."""
        return set(self.opts.integrations) if self.opts.integrations else None

    def targets(self, ctx: CollectContext) -> list[str]:
        """The integrations a per-integration endpoint is asked about this cycle."""
        if self.opts.integrations is not None:
            return list(self.opts.integrations)
        return sorted(i.id for i in ctx.inventory if self.name in i.collect.values())

    def collect(self, ctx: CollectContext) -> Batch:
        """One fleet request, or one request per integration; one sample per value found."""
        builder = SampleBuilder(self.name, ctx.inventory)
        paths = {metric: parse_path(path) for metric, path in self.opts.metrics.items()}
        timeout = self.settings.timeout.total_seconds()
        if self.opts.per_integration:
            ids = self.targets(ctx)
            if not ids:
                builder.fail(
                    f"no integrations to ask {self.opts.url} about: list them under `integrations`"
                    f" or name source {self.name!r} in an inventory `collect` table"
                )
            requests = [
                Request(self.opts.url.replace(PLACEHOLDER, quote(i, safe="")), key=i) for i in ids
            ]
            for fetched in fetch_all(requests, self.opts, timeout):
                doc, error = fetched.json()
                if error is not None:
                    builder.fail(error, fetched.request.key)
                    continue
                self._values(builder, ctx, fetched.request.key, doc, paths, fetched.request.url, "")
        else:
            [fetched] = fetch_all([Request(self.opts.url)], self.opts, timeout)
            doc, error = fetched.json()
            if error is not None:
                builder.fail(error)
            else:
                self._fleet(builder, ctx, doc, paths, fetched.request.url)
        return builder.batch()

    def _fleet(
        self,
        builder: SampleBuilder,
        ctx: CollectContext,
        doc: Any,
        paths: dict[Metric, JsonPath],
        url: str,
    ) -> None:
        items_path = parse_path(self.opts.items or "")
        try:
            items = items_path.resolve(doc)
        except PathMiss as miss:
            builder.fail(f"items path {items_path.text!r} matches nothing in {url}: {miss}")
            return
        if isinstance(items, dict):
            entries = [(str(key), value, f"[{key!r}]") for key, value in items.items()]
        elif isinstance(items, list):
            id_path = parse_path(self.opts.id)
            entries = []
            for index, item in enumerate(items):
                try:
                    raw_id = id_path.resolve(item)
                except PathMiss as miss:
                    builder.fail(f"item [{index}] of {url} has no id at {id_path.text!r}: {miss}")
                    continue
                if raw_id is None or isinstance(raw_id, dict | list) or str(raw_id).strip() == "":
                    builder.fail(f"item [{index}] of {url} has an unusable id {raw_id!r}")
                    continue
                entries.append((str(raw_id), item, f"[{index}]"))
            entries = self._without_repeated_ids(builder, entries, url)
        else:
            where = self.opts.items or "the document root"
            builder.fail(f"expected a list or object of integrations at {where} in {url}")
            return
        for integration, item, label in entries:
            self._values(builder, ctx, integration, item, paths, url, f" (item {label})")

    @staticmethod
    def _without_repeated_ids(
        builder: SampleBuilder, entries: list[tuple[str, Any, str]], url: str
    ) -> list[tuple[str, Any, str]]:
        """Items whose id appears once; an id listed twice is a failure, neither item kept
        (which of two values is right is not ours to guess)."""
        where: dict[str, list[str]] = {}
        for integration, _item, label in entries:
            where.setdefault(integration, []).append(label)
        for integration, labels in where.items():
            if len(labels) > 1:
                builder.fail(
                    f"id {integration!r} is listed {len(labels)} times in {url} "
                    f"(items {', '.join(labels)}); none of them stored",
                    integration,
                )
        return [e for e in entries if len(where[e[0]]) == 1]

    def _values(
        self,
        builder: SampleBuilder,
        ctx: CollectContext,
        integration: str,
        doc: Any,
        paths: dict[Metric, JsonPath],
        url: str,
        label: str,
    ) -> None:
        for metric, path in paths.items():
            try:
                raw = path.resolve(doc)
            except PathMiss as miss:
                builder.fail(
                    f"path {path.text!r} matches nothing in {url}{label}: {miss}",
                    integration,
                    metric,
                )
                continue
            number, problem = as_number(raw)
            if problem is None and number is not None and metric in self.opts.scale:
                raw = number * self.opts.scale[metric]
            builder.add(ctx.now, integration, metric, raw, where=f"{path.text} in {url}{label}")
