"""The alerts stage as the roots see it: `[alerts]` with its channels and routes, the inventory's
chat routes, and the notify cycle every `[alerts] interval`."""

from __future__ import annotations

from alerts.settings import AlertSettings, check_alerts
from seamwatch.config import Settings
from seamwatch.errors import ConfigError
from seamwatch.inventory import Inventory
from seamwatch.stage import Job, Runtime, Stage, problems_from
from seamwatch.timeutil import utcnow


def check(settings: Settings, inventory: Inventory) -> list[ConfigError]:
    """Each channel's url and own keys, routes naming no channel, chat routes naming none."""
    if not STAGE.sections_valid(settings):
        return []  # the section's own problems are reported with it
    return problems_from(check_alerts, settings, inventory)


def jobs(runtime: Runtime) -> list[Job]:
    """The notify cycle, when [alerts] has channels (reconciles unfinished claims at start)."""
    from alerts.engine import Notifier

    notifier = Notifier(runtime.settings, store=runtime.store)
    if not notifier.channels or not notifier.alerts.enabled:
        return []
    metrics = runtime.metrics

    def notify() -> object:
        notifier.answer_test_requests()  # "send a test message" from the dashboard
        result = notifier.run(utcnow())
        if metrics is not None:
            metrics.notified(result.count("sent"), result.count("undelivered"))
        return result

    return [Job("notify", notify, notifier.alerts.interval)]


STAGE = Stage(
    name="alerts",
    sections={"alerts": AlertSettings},
    check=check,
    jobs=jobs,
    commands=("notify", "channels", "silence", "maintenance"),
)
