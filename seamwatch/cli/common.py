"""What every command shares: loading config, inventory and store; printing tables."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import pandas as pd

from seamwatch.config import Settings, load_settings
from seamwatch.inventory import Inventory, load_inventory
from seamwatch.store import Store

EXAMPLES = "examples:\n"


@dataclass
class Context:
    """Lazily loaded config, inventory and store for one command."""

    args: argparse.Namespace
    _settings: Settings | None = field(default=None, repr=False)

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = load_settings(self.args.config)
        return self._settings

    @cached_property
    def inventory(self) -> Inventory:
        inventory = load_inventory(
            self.settings.inventory.paths,
            self.settings.base_dir,
            backstage=self.settings.inventory.backstage,
        )
        for error in inventory.errors:
            logging.getLogger("seamwatch.inventory").warning("%s", error)
        return inventory

    @cached_property
    def store(self) -> Store:
        return Store.from_settings(self.settings)


def add_format(
    parser: argparse.ArgumentParser, choices: tuple[str, ...] = ("table", "csv", "json")
) -> None:
    """A --format option shared by commands that print rows."""
    parser.add_argument("--format", choices=choices, default=choices[0], help="output format")


def print_frame(frame: pd.DataFrame, fmt: str = "table", *, out: Any = None) -> None:
    """Print rows as an aligned table, CSV or a JSON list of objects."""
    out = out or sys.stdout
    if fmt == "csv":
        frame.to_csv(out, index=False)
    elif fmt == "json":
        out.write(
            json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), indent=2)
        )
        out.write("\n")
    elif frame.empty:
        out.write("(no rows)\n")
    else:
        with pd.option_context(
            "display.max_rows", None, "display.max_columns", None, "display.width", 200
        ):
            out.write(frame.to_string(index=False) + "\n")


def say(message: str) -> None:
    """A line for the user on stderr-free stdout."""
    sys.stdout.write(message + "\n")
    sys.stdout.flush()
