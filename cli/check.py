"""`seamwatch check`: validate config and inventory and print a summary."""

from __future__ import annotations

import argparse
from collections import Counter

import seamwatch.inventory as inventory_module
from cli.common import Context, say
from cli.stages import load_stages
from seamwatch.config import check_settings
from seamwatch.durations import format_duration
from seamwatch.errors import ConfigError, ConfigWarning
from seamwatch.scorecard import check_scorecard, load_scorecard_settings, strict_failures
from seamwatch.stage import problems_from
from seamwatch.timeutil import utcnow


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "check",
        parents=[common],
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
    if getattr(ctx.args, "strict", False):
        problems += strict_problems(ctx)
    problems += problems_from(check_scorecard, settings)
    for stage in load_stages():
        problems += stage.section_problems(settings)
        problems += stage.check(settings, ctx.inventory)
    return _without_echoes(problems)


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
