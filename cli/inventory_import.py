"""`seamwatch inventory import-backstage | slo-import | slo-export`: what teams already keep."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import yaml

from cli.common import Context, say
from seamwatch.backstage import integrations, read_catalog
from seamwatch.errors import ConfigError, SeamwatchError
from seamwatch.inventory_toml import render_entry, toml_value, validate_entry
from seamwatch.openslo import openslo_from_slo, read_documents, slo_from_openslo


def register(actions: argparse._SubParsersAction, common: argparse.ArgumentParser) -> None:
    backstage = actions.add_parser(
        "import-backstage",
        parents=[common],
        help="write inventory TOML from Backstage catalog files, for review",
        description="Turn Backstage catalog entities (Component, API, System, Resource, Group; "
        "providesApis, consumesApis, dependsOn, spec.owner, spec.lifecycle, annotations) into "
        "inventory entries: one per API, one per Component -> Resource dependency. Nothing is "
        "applied: the TOML is printed or written to --out for review. An API's inline "
        "definition is written next to it under specs/. Bad entities are reported one line "
        "each (exit 2); the others are still written.",
        epilog="examples:\n"
        "  seamwatch inventory import-backstage catalog-info.yaml\n"
        "  seamwatch inventory import-backstage 'catalog/**/*.yaml' --out data/inventory/backstage.toml\n"
        "  seamwatch inventory import-backstage https://git.example.com/raw/catalog-info.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    backstage.add_argument("locations", nargs="+", metavar="PATH|URL", help="files, globs or URLs")
    backstage.add_argument("--out", metavar="FILE", help="write here (refused if it exists)")
    backstage.set_defaults(inventory_action=run_backstage)

    slo_in = actions.add_parser(
        "slo-import",
        parents=[common],
        help="an integration's slo from OpenSLO v1 documents (printed as TOML for review)",
        description="Read OpenSLO v1 SLO (and SLI) documents and print the `slo = { ... }` line "
        "for an integration's inventory entry: a latency threshold becomes latency_p95_ms, a "
        "ratio objective error_rate, the time window window.",
        epilog="example:\n  seamwatch inventory slo-import slo.yaml --integration crm-orders-to-erp",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    slo_in.add_argument("files", nargs="+", metavar="FILE")
    slo_in.add_argument("--integration", metavar="ID", help="the entry it is for (checked)")
    slo_in.set_defaults(inventory_action=run_slo_import)

    slo_out = actions.add_parser(
        "slo-export",
        parents=[common],
        help="an integration's slo as OpenSLO v1 documents (YAML)",
        description="Print (or --out) the integration's SLOs as OpenSLO v1 SLO documents.",
        epilog="example:\n  seamwatch inventory slo-export payments-webhook --out payments-webhook.slo.yaml",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    slo_out.add_argument("integration", metavar="ID")
    slo_out.add_argument("--out", metavar="FILE")
    slo_out.set_defaults(inventory_action=run_slo_export)


def _report(errors: list[ConfigError]) -> None:
    for error in errors:
        sys.stderr.write(f"seamwatch: {error}\n")


def run_backstage(ctx: Context) -> int:
    """Read the catalogs, write every valid entry, report every bad one."""
    catalog = read_catalog(ctx.args.locations, Path.cwd())
    imported, errors = integrations(catalog)
    errors = catalog.errors + errors
    out = Path(ctx.args.out) if ctx.args.out else None
    if out is not None and out.exists():
        raise ConfigError("exists already: write to a new file and merge it by hand", path=out)
    blocks = [
        "# Imported from Backstage by `seamwatch inventory import-backstage`: review every entry\n"
        "# (tier defaults to 3; set it, failure_handling and slo), then run `seamwatch check --strict`.\n"
    ]
    specs: dict[Path, str] = {}
    for item in imported:
        values = dict(item.values)
        if item.inline_spec is not None and out is not None:
            relative = Path("specs") / f"{values['id']}.yaml"
            specs[out.parent / relative] = item.inline_spec
            values["contract"] = {**values.get("contract", {}), "spec": str(relative)}
        heading = f"from Backstage {item.entity.kind} {item.entity.name} ({item.origin})"
        text = render_entry(values, heading=heading)
        validate_entry(text, where=str(out or "<import>"))
        blocks.append(text)
    document = "\n".join(blocks)
    if out is None:
        sys.stdout.write(document)
    else:
        out.parent.mkdir(parents=True, exist_ok=True)
        out.write_text(document, encoding="utf-8")
        for path, text in specs.items():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        say(
            f"wrote {len(imported)} integration{'s' if len(imported) != 1 else ''} to {out}"
            + (f" and {len(specs)} spec file(s) under {out.parent / 'specs'}" if specs else "")
            + ": review, then `seamwatch check --strict`"
        )
    _report(errors)
    return 2 if errors else 0


def run_slo_import(ctx: Context) -> int:
    """Print the slo line the OpenSLO documents describe."""
    docs = []
    for name in ctx.args.files:
        path = Path(name)
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise ConfigError(f"cannot read: {exc.strerror or exc}", path=path) from None
        try:
            docs += read_documents(text, source=path.name)
        except ConfigError as exc:
            raise ConfigError(exc.reason, path=path, key=exc.key) from None
    try:
        values = slo_from_openslo(docs, source=", ".join(Path(f).name for f in ctx.args.files))
    except ConfigError as exc:
        raise ConfigError(exc.reason, path=Path(ctx.args.files[0]), key=exc.key) from None
    if ctx.args.integration:
        integration = ctx.inventory.get(ctx.args.integration)
        if integration is None:
            raise SeamwatchError(f"--integration: {ctx.args.integration!r} is not in the inventory")
        say(f"# for {integration.id} in {ctx.inventory.origin[integration.id]}; it has: "
            f"slo = {toml_value(_current(integration))}")  # fmt: skip
    say(f"slo = {toml_value(values)}")
    return 0


def _current(integration) -> dict:  # type: ignore[no-untyped-def]
    return {
        k: v for k, v in integration.slo.model_dump().items() if v is not None and k != "window"
    }


def run_slo_export(ctx: Context) -> int:
    """Print or write the integration's SLOs as OpenSLO documents."""
    integration = ctx.inventory.get(ctx.args.integration)
    if integration is None:
        raise SeamwatchError(f"{ctx.args.integration!r} is not in the inventory")
    docs = openslo_from_slo(integration)
    if not docs:
        raise SeamwatchError(
            f"{integration.id} has no latency_p95_ms or error_rate SLO to export "
            f"({ctx.inventory.origin[integration.id]}: slo)"
        )
    text = yaml.safe_dump_all(docs, sort_keys=False)
    if ctx.args.out:
        Path(ctx.args.out).write_text(text, encoding="utf-8")
        say(f"wrote {len(docs)} OpenSLO document(s) to {ctx.args.out}")
    else:
        sys.stdout.write(text)
    return 0
