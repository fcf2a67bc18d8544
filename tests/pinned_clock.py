"""The dashboard's tests run at a pinned clock: a test module marked `pinned_clock` runs in a
pytest process of its own under libfaketime, started at PINNED, so what the app takes for "now"
never depends on when the suite runs. So do tests of commands that read DuckDB's `now()` and
take no option for the time (the persisting `detect`, `sources`, `up`); a mark on one test
runs just the marked tests of its module in the child. A command that reads the time only in
Python is pinned in-process instead (`cli(..., now=)`, `tests.conftest.pinned_utcnow`).

Why a process and not a seam: the app reads the clock in Python (`utcnow()` on its pages) and in
DuckDB (`now()` in the store's views: health, finding ages, active silences, job runs, the
collector's last day), and DuckDB reads it in C++, where nothing in Python reaches. libfaketime
takes over the C library's clock for a whole process, and must be loaded as the process starts.
So this plugin hands each marked module's selected tests to one child pytest under `faketime` and
reports their outcomes here as if they had run here (serialised with pytest's own hooks, as
pytest-xdist sends them). What the child starts (the Streamlit server, Chromium, the CLI)
inherits the same clock. It keeps running from PINNED at the usual rate: a stopped clock stops
asyncio's timers, and libfaketime 0.9.10 cannot leave the monotonic clock alone without breaking
Python's `time.sleep` (libfaketime issue 426), so both clocks move together.

The seeded data are pinned too (the demo's `--anchor`, findings relative to PINNED), so a test
never depends on how long its module took to set up. `faketime` is a Debian package
(`make test-servers`); without it these tests are skipped locally and fail under `CI=true`.

A debugger (`--pdb`, `breakpoint()`) does not reach the child; to step through one of these tests,
run pytest as the child itself:
`SEAMWATCH_PINNED_CLOCK_REPORTS=/dev/null FAKETIME_FMT=%s FAKETIME_DONT_RESET=1
faketime -m -f @1795597200 .venv/bin/pytest tests/test_app_pages.py --pdb`.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import tempfile
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Literal

import pytest

from tests.conftest import require_binary

PINNED = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
"""The dashboard tests' "now": a Wednesday, 10:00 in Berlin, outside every maintenance window."""

STAMP = PINNED.strftime("%Y-%m-%dT%H:%M:%SZ")
"""PINNED as `seamwatch demo --anchor` takes it."""

MARK = "pinned_clock"

REPORTS_VAR = "SEAMWATCH_PINNED_CLOCK_REPORTS"
"""Set for the child only: the file it writes its test reports to."""

RUNNING = timedelta(hours=6)
"""How far past PINNED a child's clock may have run and still count as pinned."""

Phase = Literal["setup", "call", "teardown"]


def pinned_clock_command(faketime: str, argv: list[str]) -> tuple[list[str], dict[str, str]]:
    """The command and environment that run argv with its clock starting at PINNED.

    Any libfaketime settings of this process are left out: two copies in one process fake the
    clock twice and break sleeping (that is what running the suite itself under `faketime`, to
    show the wall clock does not matter, would hand down). `-m` is the thread-safe library
    (DuckDB and Streamlit use threads); epoch seconds keep the machine's time zone out of it;
    FAKETIME_DONT_RESET gives the child's children the same running clock, not a restarted one.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAKETIME")}
    preload = [p for p in env.pop("LD_PRELOAD", "").split(":") if p and "faketime" not in p]
    if preload:
        env["LD_PRELOAD"] = ":".join(preload)
    env.update(FAKETIME_FMT="%s", FAKETIME_DONT_RESET="1")
    return [faketime, "-m", "-f", f"@{int(PINNED.timestamp())}", *argv], env


def pytest_configure(config: pytest.Config) -> None:
    reports = os.environ.get(REPORTS_VAR)
    if reports:
        config.pluginmanager.register(PinnedChild(config, Path(reports)), "pinned-clock-child")
    else:
        config.pluginmanager.register(PinnedParent(config), "pinned-clock-parent")


class PinnedChild:
    """In the child: check the clock is pinned, and send every test report to the parent."""

    def __init__(self, config: pytest.Config, reports: Path) -> None:
        self.config = config
        self.reports = reports

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        """Stop at once unless Python and DuckDB both read the pinned clock."""
        import duckdb

        python_now = datetime.now(UTC)
        with duckdb.connect() as con:
            sql_now, sql_today = con.execute("SELECT now(), current_date").fetchone()
        if not (
            PINNED <= python_now < PINNED + RUNNING
            and PINNED <= sql_now < PINNED + RUNNING
            and abs(sql_today - PINNED.date()) <= timedelta(days=1)  # in the machine's zone
        ):
            pytest.exit(
                f"the clock is not pinned at {STAMP}: Python reads {python_now:%Y-%m-%dT%H:%M:%S},"
                f" DuckDB {sql_now:%Y-%m-%dT%H:%M:%S} ({sql_today}); is libfaketime preloaded?",
                returncode=3,
            )

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        data = self.config.hook.pytest_report_to_serializable(config=self.config, report=report)
        with self.reports.open("a", encoding="utf-8") as out:
            out.write(json.dumps(data) + "\n")


class PinnedParent:
    """Here: run each marked module's selected tests in one pinned child, report what it did."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.reports: dict[Path, dict[str, list[pytest.TestReport]]] = {}
        self.outputs: dict[Path, str] = {}

    def pytest_collection_modifyitems(self, items: list[pytest.Item]) -> None:
        """The child times each of its tests; here nothing runs but the wait for it."""
        if self.config.pluginmanager.hasplugin("timeout"):
            for item in items:
                if item.get_closest_marker(MARK):
                    item.add_marker(pytest.mark.timeout(0), append=False)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_protocol(
        self, item: pytest.Item, nextitem: pytest.Item | None
    ) -> bool | None:
        if not item.get_closest_marker(MARK):
            return None
        item.ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
        for report in self.reports_for(item):
            item.ihook.pytest_runtest_logreport(report=report)
        self.tear_down_before(item, nextitem)
        item.ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
        return True

    def tear_down_before(self, item: pytest.Item, nextitem: pytest.Item | None) -> None:
        """End here what the next test does not share, as pytest does after each test.

        An unmarked test before this one in its module set up the module's fixtures for the
        tests after it; when none of those runs here (the rest of the module is marked), nothing
        else would end them, and the next module's setup would fail. A failing teardown is
        reported on this test, as pytest reports it on the test whose end triggered it.
        """
        state = item.session._setupstate
        call = pytest.CallInfo.from_call(lambda: state.teardown_exact(nextitem), when="teardown")
        if call.excinfo is not None:
            item.ihook.pytest_runtest_logreport(report=report(item, call))

    def reports_for(self, item: pytest.Item) -> list[pytest.TestReport]:
        """The child's reports of this test; a failure of ours when it left any phase out."""
        if item.path not in self.reports:
            found = pytest.CallInfo.from_call(lambda: require_binary("faketime"), when="setup")
            if found.excinfo is not None:  # skipped locally, failed under CI
                return [report(item, found), report(item, passing("teardown"))]
            self.reports[item.path] = self.run_child(item, found.result)
        reports = self.reports[item.path].get(item.nodeid, [])
        if not reports:
            return [report(item, self.unfinished(item, "setup")), report(item, passing("teardown"))]
        if not any(r.when == "teardown" for r in reports):
            return [*reports, report(item, self.unfinished(item, "teardown"))]
        return reports

    def run_child(self, item: pytest.Item, faketime: str) -> dict[str, list[pytest.TestReport]]:
        """One pytest at the pinned clock for the module's selected tests; their reports."""
        nodeids = [
            i.nodeid
            for i in item.session.items
            if i.path == item.path and i.get_closest_marker(MARK)
        ]
        fd, name = tempfile.mkstemp(prefix="pinned-clock-", suffix=".jsonl")
        os.close(fd)
        reports = Path(name)
        command, env = pinned_clock_command(
            faketime, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *nodeids]
        )
        env[REPORTS_VAR] = str(reports)
        try:
            limit = 120 + self.per_test_timeout() * len(nodeids)
            self.outputs[item.path] = self.run(command, env, limit)
            by_test: dict[str, list[pytest.TestReport]] = defaultdict(list)
            for line in reports.read_text(encoding="utf-8").splitlines():
                got = self.config.hook.pytest_report_from_serializable(
                    config=self.config, data=json.loads(line)
                )
                if isinstance(got.longrepr, list):  # a skip's (path, line, reason), via JSON
                    got.longrepr = tuple(got.longrepr)
                by_test[got.nodeid].append(got)
            return dict(by_test)
        finally:
            reports.unlink(missing_ok=True)

    def run(self, command: list[str], env: dict[str, str], limit: float) -> str:
        """Run the child in a process group of its own; its output.

        `faketime` forks and waits, so stopping it alone would leave the child pytest and its
        Streamlit server running: on a timeout or an interrupt the whole group is stopped.
        """
        child = subprocess.Popen(
            command,
            cwd=self.config.rootpath,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        try:
            return child.communicate(timeout=limit)[0]
        except subprocess.TimeoutExpired:
            stop_group(child)
            try:
                output = child.communicate(timeout=10)[0]
            except subprocess.TimeoutExpired:  # something outside the group holds the pipe
                output = ""
            return f"{output}\n(stopped after {limit:.0f} s)"
        except BaseException:
            stop_group(child)
            raise

    def per_test_timeout(self) -> float:
        if self.config.pluginmanager.hasplugin("timeout"):
            return float(self.config.getini("timeout") or 300)
        return 300.0

    def unfinished(self, item: pytest.Item, when: Phase) -> pytest.CallInfo[None]:
        tail = self.outputs.get(item.path, "")[-3000:]
        message = f"the pinned-clock pytest for {item.path.name} did not finish this test:\n{tail}"
        return pytest.CallInfo.from_call(lambda: pytest.fail(message, pytrace=False), when=when)


def stop_group(child: subprocess.Popen[str]) -> None:
    """Stop a child started in a session of its own, and what it started: politely first."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGTERM)
    with contextlib.suppress(subprocess.TimeoutExpired):
        child.wait(timeout=10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(child.pid, signal.SIGKILL)
    child.wait()


def passing(when: Phase) -> pytest.CallInfo[None]:
    return pytest.CallInfo.from_call(lambda: None, when=when)


def report(item: pytest.Item, call: pytest.CallInfo[object]) -> pytest.TestReport:
    return item.ihook.pytest_runtest_makereport(item=item, call=call)
