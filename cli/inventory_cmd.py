"""`seamwatch inventory`: scaffold a new entry, import Backstage catalogs, import/export OpenSLO.

Everything here writes TOML for a person to review and commit; nothing changes the inventory
behind anyone's back.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

from cli import inventory_import
from cli.common import Context, say
from seamwatch.errors import ConfigError, SeamwatchError
from seamwatch.inventory import Lifecycle, Pattern
from seamwatch.inventory_toml import existing_ids, render_entry, validate_entry
from seamwatch.timeutil import utcnow

log = logging.getLogger(__name__)

# flag -> (inventory key, prompt, required)
NEW_FIELDS: list[tuple[str, str, str, bool]] = [
    ("id", "id", "id (a slug, e.g. orders-to-erp)", True),
    ("name", "name", "name", True),
    ("description", "description", "description (one sentence)", False),
    ("owner", "owner", "owner team", True),
    ("contact", "contacts", "contact (e-mail or list)", True),
    ("chat_route", "chat_route", "chat route (alerts channel name)", False),
    ("source", "source_system", "source system", True),
    ("target", "target_system", "target system", True),
    ("pattern", "pattern", f"pattern ({' | '.join(p.value for p in Pattern)})", True),
    ("tier", "tier", "tier (1 most critical .. 4)", True),
]


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> argparse.ArgumentParser:
    parser = sub.add_parser(
        "inventory",
        parents=[common],
        description="Write inventory TOML for review: a new commented entry, entries from "
        "Backstage catalog files, or an integration's SLOs from/to OpenSLO documents.",
        epilog="examples:\n"
        "  seamwatch inventory new --out data/inventory/sales.toml\n"
        "  seamwatch inventory import-backstage catalog-info.yaml --out data/inventory/backstage.toml\n"
        "  seamwatch inventory slo-export payments-webhook",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    actions.required = True
    new = actions.add_parser(
        "new",
        parents=[common],
        help="write a complete, commented inventory entry",
        description="Write a complete, commented [[integration]] entry, validated before it "
        "is written. Missing required values are asked for on a terminal; with --no-input "
        "(or no terminal) they must be given as flags. The entry starts `planned`; "
        "`seamwatch check --strict` decides when it may become `active`.",
        epilog="examples:\n"
        "  seamwatch inventory new --out data/inventory/sales.toml\n"
        "  seamwatch inventory new --id orders-to-erp --name 'CRM orders to ERP' --owner sales \\\n"
        "      --contact sales@example.com --source Salesforce --target 'SAP ERP' --pattern event \\\n"
        "      --tier 2 --spec https://contracts.example.com/asyncapi/orders.yaml \\\n"
        "      --retries 'exponential, max 5' --idempotency-key orderId --dlq orders.dlq --no-input",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    new.add_argument("--id")
    new.add_argument("--name")
    new.add_argument("--description")
    new.add_argument("--owner")
    new.add_argument("--contact", action="append", default=[], help="repeatable")
    new.add_argument("--chat-route", dest="chat_route")
    new.add_argument("--source", help="source system")
    new.add_argument("--target", help="target system")
    new.add_argument("--pattern", choices=[p.value for p in Pattern])
    new.add_argument("--tier", type=int, choices=(1, 2, 3, 4))
    new.add_argument("--lifecycle", choices=[c.value for c in Lifecycle], default="planned")
    new.add_argument("--endpoint", action="append", default=[], help="repeatable")
    new.add_argument("--spec", help="OpenAPI/AsyncAPI document: URL or file path")
    new.add_argument("--schema-subject", dest="schema_subject")
    new.add_argument("--contract-version", dest="contract_version")
    new.add_argument("--slo-latency-p95-ms", dest="slo_latency", type=float)
    new.add_argument("--slo-error-rate", dest="slo_error_rate", type=float)
    new.add_argument("--retries")
    new.add_argument("--idempotency-key", dest="idempotency_key")
    new.add_argument("--dlq")
    new.add_argument("--runbook")
    new.add_argument("--tag", action="append", default=[], help="repeatable")
    new.add_argument("--out", metavar="FILE", help="append to this inventory file (default: print)")
    new.add_argument("--no-input", action="store_true", help="never prompt")
    new.set_defaults(inventory_action=run_new)
    inventory_import.register(actions, common)
    return parser


def run(ctx: Context) -> int:
    handler: Callable[[Context], int] = ctx.args.inventory_action
    return handler(ctx)


def run_new(ctx: Context, *, ask: Callable[[str], str] = input) -> int:
    """Scaffold one entry: flags, else prompts, validated, then printed or appended."""
    args = ctx.args
    interactive = not args.no_input and sys.stdin.isatty()
    values: dict[str, Any] = {}
    missing = []
    for flag, key, prompt, required in NEW_FIELDS:
        given = getattr(args, flag)
        if given in (None, []) and interactive:
            answer = ask(f"{prompt}{'' if required else ' [optional]'}: ").strip()
            given = ([answer] if flag == "contact" else answer) if answer else None
        if given in (None, []):
            if required:
                missing.append(f"--{flag.replace('_', '-')}")
            continue
        values[key] = given
    if missing:
        raise SeamwatchError(
            f"inventory new: missing {', '.join(missing)} (or run it on a terminal)"
        )
    values["tier"] = int(values["tier"])
    values["lifecycle"] = args.lifecycle
    values["endpoints"] = args.endpoint
    contract = {
        "spec": args.spec,
        "schema_subject": args.schema_subject,
        "version": args.contract_version,
    }
    values["contract"] = {k: v for k, v in contract.items() if v}
    slo = {"latency_p95_ms": args.slo_latency, "error_rate": args.slo_error_rate}
    values["slo"] = {k: v for k, v in slo.items() if v is not None}
    handling = {"retries": args.retries, "idempotency_key": args.idempotency_key, "dlq": args.dlq}
    values["failure_handling"] = {k: v for k, v in handling.items() if v}
    values["review_cadence"] = "180d"
    values["last_review"] = utcnow().date()
    values["runbook"] = args.runbook
    values["tags"] = args.tag
    heading = (
        f"{values['name']}: scaffolded by `seamwatch inventory new` on {values['last_review']}.\n"
        "Fill in the commented keys; `seamwatch check --strict` must pass before it goes active."
    )
    text = render_entry(values, heading=heading)
    validate_entry(text, where=args.out or "<new entry>")
    if args.out:
        append_entries(Path(args.out), text, [values["id"]])
        say(f"wrote {values['id']} to {args.out}: review it, then `seamwatch check --strict`")
    else:
        sys.stdout.write(text)
    return 0


def append_entries(path: Path, text: str, ids: list[str]) -> None:
    """Append entries to an inventory file, refusing ids it already has."""
    before = ""
    if path.exists():
        before = path.read_text(encoding="utf-8")
        try:
            taken = existing_ids(before)
        except ConfigError as exc:
            raise ConfigError(exc.reason, path=path) from None
        clash = sorted(set(ids) & taken)
        if clash:
            raise ConfigError(f"already has integration id {clash[0]!r}", path=path, key="id")
    path.parent.mkdir(parents=True, exist_ok=True)
    separator = (
        "" if not before or before.endswith("\n\n") else ("\n" if before.endswith("\n") else "\n\n")
    )
    path.write_text(before + separator + text, encoding="utf-8")
