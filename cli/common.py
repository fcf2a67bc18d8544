"""What every command shares: loading config, inventory and store; printing tables."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from seamwatch.config import Settings, load_settings
from seamwatch.inventory import Inventory, load_inventory
from seamwatch.secrets import redact
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
        out.write(redact(frame.to_csv(index=False)))
    elif fmt == "json":
        text = json.dumps(json.loads(frame.to_json(orient="records", date_format="iso")), indent=2)
        out.write(redact(text) + "\n")
    elif frame.empty:
        out.write("(no rows)\n")
    else:
        with pd.option_context(
            "display.max_rows", None, "display.max_columns", None, "display.width", 200
        ):
            out.write(redact(readable(frame).to_string(index=False, na_rep="")) + "\n")


MAX_CELL = 60
"""Widest a text cell is printed in a table; longer text (a summary) is cut with '…'."""


def readable(frame: pd.DataFrame, max_cell: int = MAX_CELL) -> pd.DataFrame:
    """A copy for people: whole numbers (a tier) without '.0', long text cut, NULL blank
    (with `na_rep=""`), no pandas 'NaN'/'None'/'NaT'."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if pd.api.types.is_float_dtype(values):
            finite = values.dropna()
            if not finite.empty and (finite == finite.round()).all() and finite.abs().max() < 1e15:
                out[column] = values.astype("Int64")
        elif values.dtype == object or pd.api.types.is_string_dtype(values):
            out[column] = values.map(lambda v: _cell(v, max_cell))
    return out


def _cell(value: Any, max_cell: int) -> Any:
    if value is None or (isinstance(value, float) and value != value) or value is pd.NaT:
        return None
    text = str(value).replace("\n", " ")
    return text if len(text) <= max_cell else text[: max_cell - 1] + "…"


def display_zone(settings: Settings) -> ZoneInfo:
    """The zone people read times in: `[app] timezone` (UTC by default)."""
    return ZoneInfo(settings.app.timezone)


def local_time(ts: Any, zone: ZoneInfo, fmt: str = "%Y-%m-%d %H:%M %Z") -> str | None:
    """A timestamp as wall time of `zone` ("2026-11-25 09:13 CET"); None when missing."""
    if ts is None or (not isinstance(ts, str) and pd.isna(ts)):
        return None
    stamp = pd.Timestamp(ts)
    stamp = stamp.tz_localize("UTC") if stamp.tzinfo is None else stamp
    return stamp.tz_convert(zone).strftime(fmt)


def say(message: str) -> None:
    """A line for the user on stderr-free stdout."""
    sys.stdout.write(redact(message) + "\n")
    sys.stdout.flush()
