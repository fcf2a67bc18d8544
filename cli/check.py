"""`seamwatch check`: validate config and inventory and print a summary."""

from __future__ import annotations

import argparse
from collections import Counter
from typing import Any

import reports
import seamwatch.inventory as inventory_module
from alerts.settings import check_alerts
from cli.common import Context, say
from collectors import build_source
from collectors.contracts import check_contracts_section
from collectors.heartbeat import heartbeat_settings
from detectors.settings import check_detectors
from seamwatch.config import check_settings
from seamwatch.config.base import problems_of
from seamwatch.durations import format_duration
from seamwatch.errors import ConfigError, ConfigWarning
from seamwatch.scorecard import check_scorecard, load_scorecard_settings, strict_failures
from seamwatch.timeutil import utcnow


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "check",
        parents=[common],
        help="validate config.toml and the inventory, print a summary",
        description="Validate the config file, every inventory file and every source; "
        "print one line per problem and a summary. Exit status 2 when anything is wrong.",
        epilog="examples:\n  seamwatch check --config config.toml\n"
        "  seamwatch check --strict   # in the inventory repo's CI",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="also fail an active integration whose scorecard lacks an owner, a contract, "
        "SLOs or failure handling ([scorecard] strict lists the checks)",
    )
    return parser


def validate(ctx: Context) -> list[ConfigError]:
    """Every problem in config, sources and inventory, without stopping at the first."""
    settings, problems = check_settings(ctx.args.config)  # unreadable or not TOML: raises
    ctx._settings = settings  # the config with its broken keys at their defaults
    # Loaded here, not by ctx.inventory (which logs each error): check prints them, once each.
    ctx.__dict__["inventory"] = inventory_module.load_inventory(
        settings.inventory.paths, settings.base_dir, backstage=settings.inventory.backstage
    )
    problems += ctx.inventory.errors
    sources = []
    for index in range(len(settings.sources)):
        try:
            sources.append(build_source(settings, index))
        except ConfigError as exc:
            problems += problems_of(exc)
    names = {s.name for s in settings.sources}
    for integration in ctx.inventory:
        for metric, source in integration.collect.items():
            if source not in names:
                problems.append(
                    ConfigError(
                        f"metric {metric.value} is collected by source {source!r}, "
                        f"which config.toml does not define (known: {', '.join(sorted(names)) or 'none'})",
                        path=ctx.inventory.origin[integration.id],
                        key=f"{integration.id}.collect.{metric.value}",
                    )
                )
    for index, source in enumerate(sources):
        named = source.integrations()
        for integration_id in sorted(named or ()):
            if integration_id not in ctx.inventory:
                problems.append(  # collected anyway, shown as not inventoried: a warning
                    ConfigWarning(
                        f"names integration {integration_id!r}, which is in no inventory file "
                        "(collected anyway and shown as not inventoried)",
                        path=settings.config_path,
                        key=f"sources[{index}]",
                    )
                )
    if getattr(ctx.args, "strict", False):
        problems += strict_problems(ctx)
    problems += _shared_series(sources, settings, ctx.inventory)
    exposure = settings.app.exposure_warning()
    if exposure:
        problems.append(ConfigWarning(exposure, path=settings.config_path, key="app.address"))
    if settings.app.login and not _auth_configured(settings):
        problems.append(
            ConfigError(
                "login = true needs a sign-in provider: add an [auth] block (redirect_uri, "
                "cookie_secret, client_id, client_secret, server_metadata_url) to "
                ".streamlit/secrets.toml next to config.toml, and `pip install 'seamwatch[auth]'`",
                path=settings.config_path,
                key="app.login",
            )
        )
    calls = [(check, (settings,)) for check in SECTION_CHECKS]
    calls += [(check, (settings, ctx.inventory)) for check in INVENTORY_CHECKS]
    for check, args in calls:
        try:
            check(*args)
        except ConfigError as exc:
            problems += problems_of(exc)
    return _without_echoes(problems)


def _auth_configured(settings: Any) -> bool:
    """Whether a Streamlit secrets file the dashboard reads holds an [auth] block."""
    import tomllib
    from pathlib import Path

    for place in (settings.base_dir, Path.cwd(), Path.home()):
        path = place / ".streamlit" / "secrets.toml"
        try:
            if "auth" in tomllib.loads(path.read_text(encoding="utf-8")):
                return True
        except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError):
            continue
    return False


def _shared_series(sources: list, settings: Any, inventory: Any) -> list[ConfigError]:
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


def _without_echoes(problems: list[ConfigError]) -> list[ConfigError]:
    """Drop what only repeats an earlier problem: the same line, or a key whose environment
    variable is unset (its value is still the `${VAR}` text, so it fails validation too)."""
    unset = [p.key for p in problems if p.key and p.reason.startswith("environment variable ")]
    seen: set[str] = set()
    result = []
    for problem in problems:
        text = str(problem)
        echo = not problem.reason.startswith("environment variable ") and any(
            problem.key == key or (problem.key or "").startswith((f"{key}.", f"{key}["))
            for key in unset
        )
        if text not in seen and not echo:
            seen.add(text)
            result.append(problem)
    return result


def strict_problems(ctx: Context) -> list[ConfigError]:
    """`--strict`: each required scorecard check an active integration answers no, as an error."""
    try:
        policy = load_scorecard_settings(ctx.settings)
    except ConfigError:
        return []  # reported by check_scorecard
    return [
        ConfigError(
            f"active integration fails the scorecard check {check}: {reason}",
            path=ctx.inventory.origin.get(integration_id),
            key=f"{integration_id}.{check}",
        )
        for integration_id, check, reason in strict_failures(ctx.inventory, policy, utcnow())
    ]


SECTION_CHECKS: list = [  # stages register validators of their own config sections here
    reports.check,
    heartbeat_settings,
    check_scorecard,
    check_contracts_section,
]
# Validators that also hold a section against the inventory: called with (settings, inventory),
# the inventory `check` loaded once for everything.
INVENTORY_CHECKS: list = [
    check_alerts,
    check_detectors,
]


def run(ctx: Context) -> int:
    found = validate(ctx)
    problems = [p for p in found if not isinstance(p, ConfigWarning)]
    for problem in found:
        say(f"{'warning' if isinstance(problem, ConfigWarning) else 'error'}: {problem}")
    inventory = ctx.inventory
    settings = ctx.settings
    today = utcnow().date()
    by_owner = Counter(i.owner or "(no owner)" for i in inventory)
    say(f"config: {settings.config_path}")
    say(
        f"inventory: {len(inventory)} integrations in {len(inventory.files)} files, "
        f"{len(by_owner)} owners ({', '.join(f'{k} {v}' for k, v in sorted(by_owner.items()))})"
    )
    say(
        f"sources: {', '.join(f'{s.name} ({s.kind}, every {format_duration(s.interval)})' for s in settings.sources) or 'none'}"
    )
    overdue = [i.id for i in inventory if i.review_overdue(today)]
    sunset = [i.id for i in inventory if i.past_sunset(today) and i.lifecycle.value != "retired"]
    if overdue:
        say(f"reviews overdue: {', '.join(overdue)}")
    if sunset:
        say(f"past sunset: {', '.join(sunset)}")
    store = ctx.store
    have, want = store.schema_version()
    say(
        f"store: {store.path} ({'schema ' + str(have) if store.exists() else 'not created yet'}"
        f"{'' if have in (0, want) else f', will migrate to {want}'})"
    )
    if problems:
        say(f"{len(problems)} problem{'s' if len(problems) != 1 else ''} found")
        return 2
    say("ok")
    return 0
