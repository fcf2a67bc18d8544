"""Start-up time of the command line, against `python -c "import duckdb"` in the same run.

    .venv/bin/python bench/startup.py [RUNS]

Times (median of RUNS runs, default 7, after one warm-up) `seamwatch --help`, `--version`,
`seamwatch check --help`, a bare interpreter and the baseline, each a fresh process, and prints
the ratio of each to the baseline. `--help` and `--version` import no command module and no
stage (registries of dotted paths, imported when a command runs). Target: `--help` and
`--version` under 0.5 s.
"""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TARGET = 0.5


def seamwatch() -> list[str]:
    """The console script next to this interpreter, else `python -m cli`."""
    script = Path(sys.executable).parent / "seamwatch"
    return [str(script)] if script.exists() else [sys.executable, "-m", "cli"]


def timed(argv: list[str], runs: int) -> float:
    """The median wall time of `argv` in a fresh process, after one warm-up run."""
    times = []
    for attempt in range(runs + 1):
        clock = time.perf_counter()
        subprocess.run(argv, cwd=REPO, check=True, stdout=subprocess.DEVNULL)
        if attempt:
            times.append(time.perf_counter() - clock)
    return statistics.median(times)


def main() -> int:
    runs = int(sys.argv[1]) if len(sys.argv) > 1 else 7
    cmd = seamwatch()
    cases = {
        'python -c "import duckdb"': [sys.executable, "-c", "import duckdb"],
        "python -c pass": [sys.executable, "-c", "pass"],
        "seamwatch --help": [*cmd, "--help"],
        "seamwatch --version": [*cmd, "--version"],
        "seamwatch check --help": [*cmd, "check", "--help"],
    }
    figures = {name: timed(argv, runs) for name, argv in cases.items()}
    baseline = figures['python -c "import duckdb"']
    print(f"start-up, median of {runs} runs (fresh process each):")
    for name, seconds in figures.items():
        print(f"  {name:28} {seconds:6.3f} s  {seconds / baseline:5.2f}x import duckdb")
    slow = [n for n in ("seamwatch --help", "seamwatch --version") if figures[n] >= TARGET]
    print(f"target: --help and --version under {TARGET} s: {'missed by ' + ', '.join(slow) if slow else 'met'}")  # fmt: skip
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
