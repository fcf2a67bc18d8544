"""Helpers for collector tests: a source built from config keys, a store and the test inventory."""

from __future__ import annotations

from typing import Any

import pytest

from collectors import Source, source_class
from seamwatch.config import SourceSettings
from seamwatch.inventory import Inventory, load_inventory
from seamwatch.store import Store
from tests.conftest import Workspace


def make_source(kind: str, name: str | None = None, **keys: Any) -> Source:
    """A source of `kind` from the keys of a [[sources]] block, validated like config.toml."""
    shared = {k: keys.pop(k) for k in ("interval", "timeout", "enabled") if k in keys}
    settings = SourceSettings(name=name or kind, kind=kind, **shared)
    cls = source_class(kind)
    return cls(settings, cls.Options.model_validate(keys))


@pytest.fixture
def store(workspace: Workspace) -> Store:
    """A migrated store in the temp workspace."""
    s = Store(workspace.store_path, lock_timeout=3)
    s.migrate()
    return s


@pytest.fixture
def inventory(workspace: Workspace) -> Inventory:
    """The test inventory: crm-orders-to-erp and payments-webhook."""
    return load_inventory(["inventory/*.toml"], workspace.root)


def values(store: Store, sql_where: str = "TRUE", params: list[Any] | None = None) -> dict:
    """{(integration, metric): value} of the newest samples matching a filter."""
    frame = store.query(
        "SELECT integration_id, metric, arg_max(value, ts) AS value FROM samples"
        f" WHERE {sql_where} GROUP BY ALL",
        params or [],
    )
    return {(r.integration_id, r.metric): r.value for r in frame.itertuples()}
