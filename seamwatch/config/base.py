"""Shared pieces of the config models: strict models, environment interpolation, error rendering."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from seamwatch.errors import ConfigError

_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)(?::-([^}]*))?\}")


class StrictModel(BaseModel):
    """A config model that rejects unknown keys and is immutable once validated."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


def interpolate_env(
    data: Any, *, path: Path, key: str = "", errors: list[ConfigError] | None = None
) -> Any:
    """Replace ${VAR} (or ${VAR:-default}) in every string with the environment's value.

    Secrets never sit in the file; an unset variable without a default is a ConfigError,
    raised, or appended to `errors` (the string is then left as written) when given.
    """
    if isinstance(data, dict):
        return {
            k: interpolate_env(v, path=path, key=f"{key}.{k}" if key else k, errors=errors)
            for k, v in data.items()
        }
    if isinstance(data, list):
        return [
            interpolate_env(v, path=path, key=f"{key}[{i}]", errors=errors)
            for i, v in enumerate(data)
        ]
    if isinstance(data, str) and "${" in data:

        def replace(match: re.Match[str]) -> str:
            name, default = match.group(1), match.group(2)
            value = os.environ.get(name)
            if value is None:
                if default is not None:
                    return default
                raise ConfigError(f"environment variable {name} is not set", path=path, key=key)
            return value

        try:
            return _ENV_REF.sub(replace, data)
        except ConfigError as exc:
            if errors is None:
                raise
            errors.append(exc)
            return data
    return data


def loc_to_key(loc: tuple[Any, ...], root: str = "") -> str:
    """Turn a pydantic error location into a dotted key: ("sources", 0, "interval") -> sources[0].interval."""
    key = root
    for part in loc:
        if isinstance(part, int):
            key += f"[{part}]"
        else:
            key = f"{key}.{part}" if key else str(part)
    return key


def line_of(text: str, loc: tuple[Any, ...]) -> int | None:
    """Best-effort line number of a key in TOML text, following table headers and array indexes."""
    lines = text.splitlines()
    start, table = 0, []
    for part in loc:
        if isinstance(part, int):
            header = re.compile(r"^\s*\[\[\s*" + re.escape(".".join(table)) + r"\s*\]\]")
            hits = [i for i, line in enumerate(lines) if header.match(line)]
            if part < len(hits):
                start = hits[part]
            continue
        table.append(str(part))
        pattern = re.compile(
            r"^\s*(\"?"
            + re.escape(str(part))
            + r"\"?)\s*=|^\s*\[+\s*"
            + re.escape(".".join(table))
            + r"\s*(\]|\.)"  # [alerts] or a sub-table header such as [alerts.channels.ops]
        )
        for i in range(start, len(lines)):
            if pattern.match(lines[i]):
                start = i
                break
        else:
            return start + 1 if start else None
    return start + 1


class ConfigProblems(ConfigError):
    """Several problems found at once; reads as the first (with a count), carries them all.

    Commands that stop at the first problem print it as one line; `seamwatch check` unpacks
    `problems` and prints one line each.
    """

    def __init__(self, problems: list[ConfigError]) -> None:
        first = problems[0]
        more = len(problems) - 1
        suffix = f" (and {more} more error{'s' if more > 1 else ''})" if more else ""
        super().__init__(first.reason + suffix, path=first.path, key=first.key, line=first.line)
        self.problems = problems


def problems_of(exc: ConfigError) -> list[ConfigError]:
    """Every problem an error stands for: the ones it carries, or itself."""
    return list(getattr(exc, "problems", None) or [exc])


def raise_all(problems: list[ConfigError]) -> None:
    """Raise nothing, the one problem, or a ConfigProblems carrying them all."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        raise ConfigProblems(problems)


def all_errors(
    exc: ValidationError, *, path: Path, text: str, root: tuple[Any, ...] = ()
) -> list[ConfigError]:
    """Every pydantic error as a one-line ConfigError with file, key and line."""
    return [error_at(err, path=path, text=text, root=root) for err in exc.errors(include_url=False)]


def error_loc(err: Any) -> tuple[Any, ...]:
    """Where a pydantic error is, without the validator names pydantic puts in the location."""
    return tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))


def error_at(err: Any, *, path: Path, text: str, root: tuple[Any, ...] = ()) -> ConfigError:
    """One pydantic error (an item of `exc.errors()`) as a ConfigError with file, key and line."""
    full = root + error_loc(err)
    return ConfigError(describe(err), path=path, key=loc_to_key(full), line=line_of(text, full))


def first_error(
    exc: ValidationError, *, path: Path, text: str, root: tuple[Any, ...] = ()
) -> ConfigError:
    """All pydantic errors as one ConfigError: it reads as the first, `problems` holds each."""
    problems = all_errors(exc, path=path, text=text, root=root)
    return problems[0] if len(problems) == 1 else ConfigProblems(problems)


def describe(err: dict[str, Any]) -> str:
    """One clause saying what is wrong with a value, in words a user understands."""
    kind = err["type"]
    value = err.get("input")
    if kind == "extra_forbidden":
        return "unknown key"
    if kind == "missing":
        return "required key is missing"
    message = str(err.get("msg", "invalid value"))
    message = message.removeprefix("Value error, ").removeprefix("Assertion failed, ")
    if kind.startswith(("literal_error", "enum")):
        return f"{value!r} is not allowed ({message.lower()})"
    if isinstance(value, (str, int, float, bool)) and repr(value) not in message:
        return f"{value!r}: {message[:1].lower()}{message[1:]}"
    return message[:1].lower() + message[1:]
