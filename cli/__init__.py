"""The `seamwatch` command: one module per command, each with register() and run().

Errors users can fix print as `seamwatch: <file>: <key>: <what is wrong>` and exit 2;
tracebacks only with --debug.
"""

from __future__ import annotations

import argparse
import logging
import sys
from types import ModuleType

from cli import (
    app_cmd,
    channels,
    check,
    collect,
    contracts_cmd,
    demo,
    detect,
    export,
    import_cmd,
    inventory_cmd,
    maintenance,
    notify,
    ping,
    report,
    run,
    scorecard_cmd,
    silence,
    sources,
    sql,
    up,
)
from cli.common import Context
from seamwatch import __version__
from seamwatch.errors import SeamwatchError
from seamwatch.secrets import install_root_redaction, redact

COMMANDS: list[ModuleType] = [
    check,
    demo,
    run,
    up,
    app_cmd,
    collect,
    sources,
    import_cmd,
    sql,
    export,
    detect,
    notify,
    channels,
    silence,
    report,
    ping,
    scorecard_cmd,
    inventory_cmd,
    contracts_cmd,
    maintenance,
]


def _common_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--config",
        metavar="PATH",
        help="config file (default: $SEAMWATCH_CONFIG, else ./config.toml)",
    )
    parser.add_argument("--debug", action="store_true", help="show tracebacks and debug logs")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every registered command."""
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
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for module in COMMANDS:
        command = module.register(sub, common)
        command.set_defaults(handler=module.run)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the console script."""
    parser = build_parser()
    args = parser.parse_args(argv)
    level = logging.DEBUG if args.debug else logging.WARNING if args.quiet else logging.INFO
    logging.basicConfig(
        level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s", stream=sys.stderr
    )
    install_root_redaction()
    for noisy in ("httpx", "httpcore", "apscheduler", "urllib3"):
        logging.getLogger(noisy).setLevel(max(level, logging.WARNING))
    try:
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
