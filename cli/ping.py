"""`seamwatch ping`: report a batch job's run to the heartbeat endpoint, or wrap the job itself.

For cron: `seamwatch ping nightly-export -- ./export.sh` sends a start, runs the command (its
output passes through), then sends its exit status with the output's tail, and exits with the
command's own status. A ping that cannot be delivered is a warning on stderr, never a reason
to skip or fail the job.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from collections import deque

import httpx

from cli.common import EXAMPLES, Context
from collectors.heartbeat import heartbeat_settings
from seamwatch.errors import ConfigError

TOKEN_ENV = "SEAMWATCH_PING_TOKEN"


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "ping",
        parents=[common],
        description="Send one heartbeat, or run a command between a start and an end ping "
        "(with its exit status and output tail). The endpoint and tokens come from [heartbeats] "
        f"in config.toml; --url and ${TOKEN_ENV} override them.",
        epilog=EXAMPLES
        + "  seamwatch ping nightly-export -- ./export.sh --full\n"
        + "  seamwatch ping nightly-export --start\n"
        + "  seamwatch ping nightly-export --exit 3 --body 'disk full'",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("integration", help="the integration id the job belongs to")
    _add_options(parser)
    # Everything after the integration: more options, then `--` and the command. REMAINDER,
    # because a plain positional list would be matched (empty) before the options are read.
    parser.add_argument("rest", nargs=argparse.REMAINDER, help="-- COMMAND [ARGS...]")
    return parser


def _add_options(parser: argparse.ArgumentParser) -> None:
    what = parser.add_mutually_exclusive_group()
    what.add_argument("--start", action="store_true", help="a run started")
    what.add_argument("--fail", action="store_true", help="the run failed")
    what.add_argument("--exit", type=int, metavar="STATUS", help="the run ended with STATUS")
    parser.add_argument("--body", help="text to send along (a log tail)")
    parser.add_argument("--url", help="the endpoint's base URL (default: from [heartbeats])")
    parser.add_argument("--timeout", type=float, default=10.0, help="seconds per ping")


def _split(args: argparse.Namespace) -> list[str]:
    """Read the options given after the integration into `args`; return the command."""
    rest = list(args.rest or [])
    cut = rest.index("--") if "--" in rest else len(rest)
    options, command = rest[:cut], rest[cut + 1 :]
    if options:
        late = argparse.ArgumentParser(prog="seamwatch ping", add_help=False)
        _add_options(late)
        late.add_argument("--config")
        late.add_argument("--debug", action="store_true")
        late.add_argument("-q", "--quiet", action="store_true")
        given, unknown = late.parse_known_args(options, argparse.Namespace())
        if unknown:
            raise ConfigError(
                f"unexpected {' '.join(unknown)!r}: put the command after `--` "
                "(seamwatch ping JOB -- ./export.sh)"
            )
        for key, value in vars(given).items():
            if value not in (None, False) and not (key == "timeout" and value == 10.0):
                setattr(args, key, value)
    return command


def run(ctx: Context) -> int:
    args = ctx.args
    command = _split(args)
    if args.exit is not None and not 0 <= args.exit <= 255:
        raise ConfigError(f"--exit {args.exit}: an exit status is 0..255", key="--exit")
    if command and (args.start or args.fail or args.exit is not None):
        raise ConfigError("give either a command after -- or --start/--fail/--exit, not both")
    hb = heartbeat_settings(ctx.settings)
    base = (args.url or hb.url).rstrip("/")
    token = os.environ.get(TOKEN_ENV) or hb.token_for(args.integration)
    if not command:
        suffix = "/start" if args.start else "/fail" if args.fail else ""
        if args.exit is not None:
            suffix = f"/{args.exit}"
        ok = _send(base, args.integration, suffix, token, args.body, args.timeout)
        return 0 if ok else 1
    _send(base, args.integration, "/start", token, None, args.timeout)
    tail: deque[bytes] = deque()
    kept = 0
    try:
        process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    except OSError as exc:
        message = f"cannot run {command[0]!r}: {exc.strerror or exc}"
        sys.stderr.write(f"seamwatch ping: {message}\n")
        _send(base, args.integration, "/127", token, message, args.timeout)
        return 127
    assert process.stdout is not None
    for line in process.stdout:
        sys.stdout.buffer.write(line)
        sys.stdout.flush()
        tail.append(line)
        kept += len(line)
        while kept > hb.max_body and len(tail) > 1:
            kept -= len(tail.popleft())
    status = process.wait()
    status = status if status >= 0 else 128 - status  # killed by a signal: the shell's number
    body = b"".join(tail)[-hb.max_body :].decode("utf-8", errors="replace") if hb.max_body else None
    _send(base, args.integration, f"/{min(status, 255)}", token, body, args.timeout)
    return status


def _send(
    base: str, integration: str, suffix: str, token: str | None, body: str | None, timeout: float
) -> bool:
    """One ping; a failure is a warning on stderr (the job's own outcome matters more)."""
    url = f"{base}/ping/{integration}{suffix}"
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    try:
        response = httpx.post(url, content=(body or "").encode(), headers=headers, timeout=timeout)
    except httpx.HTTPError as exc:
        sys.stderr.write(f"seamwatch ping: warning: {url}: {type(exc).__name__}: {exc}\n")
        return False
    if response.status_code != 200:
        sys.stderr.write(
            f"seamwatch ping: warning: {url}: HTTP {response.status_code}: {response.text.strip()}\n"
        )
        return False
    return True
