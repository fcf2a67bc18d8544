"""Workspaces for dashboard tests: the demo fleet with findings, reports and runs; an empty one.

Building the demo workspace (`seamwatch demo --weeks 2` plus seeded rows) takes a few seconds,
so it is made once per test module. Everything in it is told from the pinned clock's PINNED,
which is also the time the app under test reads (`tests.pinned_clock`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from seamwatch.store import Store
from tests.app_seed import Finding, seed_demo_story
from tests.conftest import CONFIG as BASE_CONFIG
from tests.conftest import REPO
from tests.pinned_clock import PINNED, STAMP

ENTRY = REPO / "app" / "Home.py"

# The shared test config, plus the dashboard's own settings.
CONFIG = (
    BASE_CONFIG
    + """
[app]
timezone = "Europe/Berlin"
refresh = "30s"
"""
)


@dataclass
class AppWorkspace:
    """A config, an inventory and (maybe) a store, as a user's checkout would have them."""

    root: Path
    now: datetime
    findings: list[Finding]

    @property
    def config(self) -> Path:
        return self.root / "config.toml"

    @property
    def store(self) -> Store:
        return Store(self.root / "data" / "seamwatch.duckdb")


def demo_workspace(root: Path) -> AppWorkspace:
    """The repo's demo inventory, two weeks of demo history up to PINNED, seeded findings etc."""
    from cli import main

    root.mkdir(parents=True, exist_ok=True)
    (root / "config.toml").write_text(CONFIG, encoding="utf-8")
    shutil.copytree(REPO / "data" / "inventory", root / "inventory")
    code = main(["demo", "--weeks", "2", "--anchor", STAMP, "--config", str(root / "config.toml")])
    assert code == 0
    ws = AppWorkspace(root, PINNED, [])
    ws.findings = seed_demo_story(ws.store, root / "data", PINNED)
    return ws


def clone(ws: AppWorkspace, root: Path) -> AppWorkspace:
    """A copy of a workspace (config, inventory, store) for a test that writes."""
    shutil.copytree(ws.root, root)
    return AppWorkspace(root, ws.now, list(ws.findings))


def empty_workspace(root: Path, *, migrated: bool = False, sources: bool = True) -> AppWorkspace:
    """A config with no inventory files and no store (or a migrated, empty store)."""
    root.mkdir(parents=True, exist_ok=True)
    text = CONFIG if sources else CONFIG.split("[[sources]]")[0] + "[scheduler]\nmetrics_port = 0\n"
    (root / "config.toml").write_text(text, encoding="utf-8")
    ws = AppWorkspace(root, PINNED, [])
    if migrated:
        ws.store.migrate()
    return ws
