"""The collectors stage as the roots see it: sources checked against the inventory, one
collection job per enabled source, and the heartbeat endpoint."""

from __future__ import annotations

from typing import Any

from collectors import Source, build_source, build_sources
from collectors.contracts import ContractsOptions
from collectors.heartbeat import HeartbeatServer, HeartbeatSettings, heartbeat_settings
from collectors.runner import CycleResult, run_cycle
from seamwatch.config import Settings
from seamwatch.config.base import problems_of
from seamwatch.errors import ConfigError, ConfigWarning
from seamwatch.inventory import Inventory
from seamwatch.stage import Job, Runtime, Service, Stage


def check(settings: Settings, inventory: Inventory) -> list[ConfigError]:
    """Each source's own options, the sources the inventory names, integrations a source names
    that no inventory file has, and series two sources would both write."""
    problems: list[ConfigError] = []
    sources = []
    for index in range(len(settings.sources)):
        try:
            sources.append(build_source(settings, index))
        except ConfigError as exc:
            problems += problems_of(exc)
    names = {s.name for s in settings.sources}
    for integration in inventory:
        for metric, source in integration.collect.items():
            if source not in names:
                problems.append(
                    ConfigError(
                        f"metric {metric.value} is collected by source {source!r}, "
                        f"which config.toml does not define (known: {', '.join(sorted(names)) or 'none'})",
                        path=inventory.origin[integration.id],
                        key=f"{integration.id}.collect.{metric.value}",
                    )
                )
    for index, source in enumerate(sources):
        named = source.integrations()
        for integration_id in sorted(named or ()):
            if integration_id not in inventory:
                problems.append(  # collected anyway, shown as not inventoried: a warning
                    ConfigWarning(
                        f"names integration {integration_id!r}, which is in no inventory file "
                        "(collected anyway and shown as not inventoried)",
                        path=settings.config_path,
                        key=f"sources[{index}]",
                    )
                )
    return problems + _shared_series(sources, settings, inventory)


def _shared_series(sources: list[Source], settings: Settings, inventory: Any) -> list[ConfigError]:
    """Two enabled sources collecting one (integration, metric) without an owner named in the
    inventory's `collect` map: only one of them would be stored, whichever wrote first."""
    problems: list[ConfigError] = []
    active = [(i, s) for i, s in enumerate(sources) if s.settings.enabled and s.metric_names()]
    for n, (index, first) in enumerate(active):
        for _other_index, second in active[n + 1 :]:
            shared = sorted(first.metric_names() & second.metric_names())  # type: ignore[operator]
            if not shared:
                continue
            mine, theirs = first.integrations(), second.integrations()
            ids = [
                i.id
                for i in inventory
                if (mine is None or i.id in mine) and (theirs is None or i.id in theirs)
            ]
            for metric in shared:
                unowned = [
                    i for i in ids if metric not in {m.value for m in inventory.get(i).collect}
                ]
                if unowned:
                    problems.append(
                        ConfigWarning(
                            f"sources {first.name!r} and {second.name!r} both collect {metric} "
                            f"for {len(unowned)} integration(s) ({', '.join(unowned[:5])}"
                            f"{' ...' if len(unowned) > 5 else ''}) whose inventory `collect` "
                            "map names no owner: only the first write of each sample is kept; "
                            f"set collect.{metric} to the source that owns it",
                            path=settings.config_path,
                            key=f"sources[{index}].metrics.{metric}",
                        )
                    )
    return problems


def jobs(runtime: Runtime) -> list[Job]:
    """One job per enabled source at its interval, on the epoch grid; each cycle's result feeds
    the daemon's own metrics."""
    settings, metrics = runtime.settings, runtime.metrics
    configured = {s.name for s in settings.sources}
    result = []
    for source in build_sources(settings):
        if not source.settings.enabled:
            continue

        def collect(source: Source = source) -> CycleResult:
            cycle = run_cycle(source, runtime.store, runtime.inventory(), configured=configured)
            if metrics is not None:
                metrics.observe(cycle)
            return cycle

        result.append(Job(f"collect:{source.name}", collect, source.interval, aligned=True))
    return result


def services(runtime: Runtime) -> list[Service]:
    """With `[heartbeats] enabled`, the ping endpoint batch jobs report their runs to."""
    hb = heartbeat_settings(runtime.settings)
    if not hb.enabled:
        return []
    server = HeartbeatServer(hb, runtime.store, lambda iid: iid in runtime.inventory()).start()
    url = f"http://{hb.address}:{server.port}/ping/"
    return [Service("heartbeats", url, server.close)]


STAGE = Stage(
    name="collectors",
    sections={"heartbeats": HeartbeatSettings, "contracts": ContractsOptions},
    check=check,
    jobs=jobs,
    services=services,
    commands=("collect", "sources", "ping", "import", "demo"),
)
