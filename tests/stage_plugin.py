"""A stage that is in no list of the roots until a test adds its dotted path: what `check` and
the daemon do with it shows that they iterate the stages instead of knowing them."""

from __future__ import annotations

from datetime import timedelta

from seamwatch.config import Settings
from seamwatch.errors import ConfigError, ConfigWarning
from seamwatch.inventory import Inventory
from seamwatch.stage import Job, Runtime, Stage

RAN: list[str] = []


def check(settings: Settings, inventory: Inventory) -> list[ConfigError]:
    return [
        ConfigWarning(
            f"the plug-in stage sees {len(inventory)} integrations",
            path=settings.config_path,
            key="plugin",
        )
    ]


def jobs(runtime: Runtime) -> list[Job]:
    return [Job("plugin:count", lambda: RAN.append("ran"), timedelta(minutes=5), run_now=False)]


STAGE = Stage(name="plugin", check=check, jobs=jobs)
