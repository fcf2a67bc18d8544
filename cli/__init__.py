"""The `seamwatch` command: one module per command (register() and run()), listed in COMMANDS
by dotted path and imported only when it runs, so `--help` and `--version` start at once.
Errors users can fix print as `seamwatch: <file>: <key>: <what is wrong>` and exit 2;
tracebacks only with --debug.
"""

from __future__ import annotations

import argparse
import logging
import sys
from dataclasses import dataclass
from typing import Any

from seamwatch import __version__
from seamwatch.errors import SeamwatchError
from seamwatch.lazy import import_object
from seamwatch.secrets import install_root_redaction, redact


@dataclass(frozen=True)
class Command:
    """One command: its name, the module that registers and runs it, its one-line help.

    The module has `register(sub, common) -> parser` and `run(ctx) -> int`; it is imported only
    when the command runs, so `seamwatch --help` lists every command without importing any.
    """

    name: str
    module: str
    help: str


COMMANDS: list[Command] = [
    Command("check", "cli.check", "validate config.toml and the inventory, print a summary"),
    Command("demo", "cli.demo", "backfill weeks of simulated history for the demo fleet"),
    Command("run", "cli.run", "run the scheduler daemon (collection, rollups, retention)"),
    Command(
        "up",
        "cli.up",
        "seed the demo (if configured and empty), start the scheduler and the dashboard",
    ),
    Command("app", "cli.app_cmd", "start the dashboard"),
    Command(
        "collect",
        "cli.collect",
        "run one collection cycle now (optionally backfilling history first)",
    ),
    Command(
        "sources", "cli.sources", "list sources with their last run, status and recent failures"
    ),
    Command("import", "cli.import_cmd", "import history from a CSV or Parquet file"),
    Command("sql", "cli.sql", "run a read-only SQL query against the store"),
    Command("export", "cli.export", "export history as date-partitioned Parquet"),
    Command("detect", "cli.detect", "run the detectors and update findings"),
    Command(
        "notify",
        "cli.notify",
        "send the chat alerts that are due (new, repeated and resolved findings)",
    ),
    Command("channels", "cli.channels", "list chat channels or send one a test message"),
    Command("silence", "cli.silence", "mute alerts for matching findings for a while"),
    Command("report", "cli.report", "write the weekly review for one ISO week (Markdown and HTML)"),
    Command(
        "ping",
        "cli.ping",
        "report a batch job's run (start, success, fail) to the heartbeat endpoint",
    ),
    Command(
        "scorecard",
        "cli.scorecard_cmd",
        "the integration checklist: yes / no / n.a. per check, scored per team and fleet",
    ),
    Command(
        "inventory",
        "cli.inventory_cmd",
        "scaffold an entry, import Backstage catalogs, import/export OpenSLO",
    ),
    Command(
        "contracts",
        "cli.contracts_cmd",
        "check every integration's OpenAPI/AsyncAPI spec: reachable, valid, what changed",
    ),
    Command("maintenance", "cli.maintenance", "list maintenance windows (on now, next start)"),
]


class _Commands(argparse._SubParsersAction):
    """The top-level subcommands: each gets the one-line help of its COMMANDS entry."""

    def add_parser(self, name: str, **kwargs: Any) -> argparse.ArgumentParser:
        known = next((c for c in COMMANDS if c.name == name), None)
        if known is not None:
            kwargs.setdefault("help", known.help)
        return super().add_parser(name, **kwargs)


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $SEAMWATCH_CONFIG, else ./config.toml)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")


def build_parser(argv: list[str] | None = None) -> argparse.ArgumentParser:
    """The argument parser. Given `argv`, only the command it names is imported and registered
    in full (the others are listed with their one-line help); without, every command is."""
    # The common options are accepted at every level (`seamwatch --config X check`,
    # `silence --config X add` and `silence add --config X`): their defaults live on the top
    # parser only, so a nested parser that did not see an option leaves the value given at an
    # outer level alone. The top parser gets its own copies of the options: set_defaults on
    # shared action objects would give every nested parser those defaults too.
    common = argparse.ArgumentParser(add_help=False, argument_default=argparse.SUPPRESS)
    _common_options(common)
    parser = argparse.ArgumentParser(
        prog="seamwatch",
        description="Seamwatch: inventory, health and slow-degradation alerts for integrations.",
        argument_default=argparse.SUPPRESS,
    )
    _common_options(parser)
    parser.add_argument("--version", action="version", version=f"seamwatch {__version__}")
    parser.set_defaults(config=None, debug=False, quiet=False)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", action=_Commands)
    sub.required = True
    chosen = None if argv is None else _named_command(argv)
    for command in COMMANDS:
        if argv is None or command.name == chosen:
            module = import_object(command.module)
            module.register(sub, common).set_defaults(handler=module.run)
        else:
            sub.add_parser(command.name)  # listed in --help; imported when it runs
    return parser


_VALUED = ("--config",)
"""Top-level options that take a value: the word after one is not a command."""


def _named_command(argv: list[str]) -> str | None:
    """The command `argv` runs: its first word that is not an option or an option's value."""
    names = {c.name for c in COMMANDS}
    skip = False
    for word in argv:
        if skip:
            skip = False
        elif word == "--":
            continue
        elif word.startswith("-"):
            # argparse accepts a unique prefix (`--conf x`) and `--config=x`
            skip = "=" not in word and any(o.startswith(word) for o in _VALUED) and len(word) > 2
        else:
            return word if word in names else None
    return None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    argv = sys.argv[1:] if argv is None else argv
    parser = build_parser(argv)
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.debug else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    install_root_redaction()
    for noisy in ("httpx", "httpcore", "apscheduler", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    try:
        from cli.common import Context  # pandas: imported once a command runs

        return int(args.handler(Context(args)) or 0)
    except SeamwatchError as exc:
        if args.debug:
            raise
        sys.stderr.write(f"seamwatch: {redact(exc)}\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        return _closed_pipe()


def _closed_pipe() -> int:
    """The reader went away (`seamwatch detect | head`): end quietly, as `cat` does.

    stdout is pointed at /dev/null so the interpreter's final flush cannot raise again.
    """
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())
    return 141  # 128 + SIGPIPE, what a shell reports for a command killed by a closed pipe


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
