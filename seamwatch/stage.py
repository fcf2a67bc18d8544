"""The stage interface: how a stage plugs into the composition roots without them knowing it.

Each stage (collectors, detectors, alerts, reports, app) declares one `STAGE = Stage(...)` in its
own `<stage>/stage.py`:

- `sections`: the config.toml sections it owns and the model that validates each;
- `check`: what `seamwatch check` finds in its part of the config beyond those models (against
  the inventory too), every problem as a list, never raised;
- `jobs`: what the daemon schedules for it (id, trigger from its config, callable);
- `services`: what the daemon serves for it while running (an endpoint), closed at shutdown;
- `commands`: the names of the CLI commands that drive it.

The roots (`cli/`) hold a list of dotted paths ("collectors.stage:STAGE") and import each stage
only when they iterate them, so `seamwatch --help` imports none. The spine never imports a stage.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from seamwatch.config import validate_section
from seamwatch.config.base import problems_of
from seamwatch.errors import ConfigError

if TYPE_CHECKING:
    from pydantic import BaseModel

    from seamwatch.config import Settings
    from seamwatch.inventory import Inventory
    from seamwatch.selfmetrics import SelfMetrics
    from seamwatch.store import Store


@dataclass(frozen=True)
class Job:
    """One scheduled job of the daemon: id, what to call, every how long, whether to run at start.

    `trigger`, when given, replaces the interval (an APScheduler trigger, e.g. a CronTrigger at a
    local time of day); `aligned` puts the interval on the epoch grid, so each cycle lands on its
    own aligned timestamp however late it starts.
    """

    id: str
    func: Callable[[], Any]
    every: timedelta
    run_now: bool = True
    trigger: Any = None
    first_run_after: timedelta | None = None  # overrides run_now: first run this long after start
    aligned: bool = False


@dataclass(frozen=True)
class Service:
    """Something the daemon serves for a stage while it runs (an HTTP endpoint)."""

    name: str
    url: str
    close: Callable[[], None]


@dataclass(frozen=True)
class Announcement:
    """What a stage hands the roots to tell people in chat (the weekly review's summary): a
    title, plain lines (each chat service escapes them its way) and one link. The roots give it
    to the alerts stage, which owns the chat channels; no other stage posts."""

    key: str  # what it announces, e.g. "report:2026-W47" (recorded with the post)
    title: str
    lines: tuple[str, ...]
    link: str
    link_label: str
    event: str = "report"


@dataclass(frozen=True)
class Runtime:
    """What a stage's jobs and services run against in the daemon."""

    settings: Settings
    store: Store
    inventory: Callable[[], Inventory]  # the current inventory, reloaded when its files change
    metrics: SelfMetrics | None = None  # the daemon's own /metrics, fed by the jobs
    announce: Callable[[Announcement], bool] | None = None  # to chat; True when delivered


def no_problems(settings: Settings, inventory: Inventory) -> list[ConfigError]:
    """A stage with nothing to check beyond its section models."""
    return []


def no_jobs(runtime: Runtime) -> list[Job]:
    """A stage the daemon schedules nothing for."""
    return []


def no_services(runtime: Runtime) -> list[Service]:
    """A stage the daemon serves nothing for."""
    return []


@dataclass(frozen=True)
class Stage:
    """What a stage declares to the composition roots (see the module docstring)."""

    name: str
    sections: Mapping[str, type[BaseModel]] = field(default_factory=dict)
    check: Callable[[Settings, Inventory], list[ConfigError]] = no_problems
    jobs: Callable[[Runtime], list[Job]] = no_jobs
    services: Callable[[Runtime], list[Service]] = no_services
    commands: tuple[str, ...] = ()

    def section_problems(self, settings: Settings) -> list[ConfigError]:
        """Each declared section validated with its model: the problems, one line each."""
        problems: list[ConfigError] = []
        for section, model in self.sections.items():
            try:
                validate_section(model, settings, section)
            except ConfigError as exc:
                problems += problems_of(exc)
        return problems

    def sections_valid(self, settings: Settings) -> bool:
        """Whether every declared section validates (its `check` can then load them)."""
        return not self.section_problems(settings)


def problems_from(check: Callable[..., object], *args: Any) -> list[ConfigError]:
    """A validator that raises (one problem or a ConfigProblems) as the list `check` wants."""
    try:
        check(*args)
    except ConfigError as exc:
        return problems_of(exc)
    return []
