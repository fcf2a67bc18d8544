"""The stage interface and a command line that starts at once: `--help` and `--version` import
no stage and no command module (nor pandas, duckdb, scipy); every stage in the roots' list keeps the interface; a stage
plugs in by one line in that list."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from pydantic import BaseModel

from cli import COMMANDS, _named_command
from cli.stages import STAGES, load_stages
from seamwatch.config import Settings, load_settings
from seamwatch.inventory import load_inventory
from seamwatch.stage import Job, Runtime, Service, Stage
from seamwatch.store import Store
from tests.conftest import REPO

STAGE_PACKAGES = {"collectors", "detectors", "alerts", "reports", "app"}
HEAVY = {"pandas", "duckdb", "scipy", "numpy", "pyarrow", "streamlit", "httpx", "pydantic"}


PROBE = """
import json, runpy, sys
sys.argv = ["seamwatch", *sys.argv[1:]]
try:
    runpy.run_module("cli", run_name="__main__")
except SystemExit as exc:
    code = exc.code
sys.stderr.write(json.dumps({"code": code, "modules": sorted(sys.modules)}))
"""


def imported_by(*args: str) -> set[str]:
    """Every module a fresh `seamwatch ARGS` has imported when it exits."""
    proc = subprocess.run(
        [sys.executable, "-c", PROBE, *args], cwd=REPO, capture_output=True, text=True, timeout=120
    )
    found = json.loads(proc.stderr.splitlines()[-1])
    assert found["code"] in (0, None), proc.stderr[-2000:]
    return set(found["modules"])


@pytest.mark.parametrize("flag", ["--help", "--version"])
def test_help_and_version_import_no_stage_no_command_and_no_heavy_library(flag):
    modules = imported_by(flag)
    assert "cli" in modules  # the reading works
    roots = {name.split(".", 1)[0] for name in modules}
    assert not roots & STAGE_PACKAGES, sorted(roots & STAGE_PACKAGES)
    assert not roots & HEAVY, sorted(roots & HEAVY)
    commands = {c.module for c in COMMANDS} & modules
    assert not commands, sorted(commands)


def test_a_commands_help_imports_that_command_only():
    modules = imported_by("check", "--help")
    assert {c.module for c in COMMANDS} & modules == {"cli.check"}


def test_help_lists_every_command_with_its_one_line_help():
    proc = subprocess.run(
        [sys.executable, "-m", "cli", "--help"], cwd=REPO, capture_output=True, text=True
    )
    listing = " ".join(proc.stdout.split())  # argparse wraps long help lines
    for command in COMMANDS:
        assert f"{command.name} {command.help}" in listing


@pytest.mark.parametrize(
    ("argv", "command"),
    [
        (["check"], "check"),
        (["--config", "detect", "check"], "check"),  # a config file named like a command
        (["--conf", "x.toml", "-q", "silence", "list"], "silence"),
        (["--config=x.toml", "report", "--week", "2026-W47"], "report"),
        (["--help"], None),
        (["chek"], None),  # argparse then says it is no command, as before
    ],
)
def test_the_command_to_import_is_read_from_the_arguments(argv, command):
    assert _named_command(argv) == command


def test_every_stage_keeps_the_interface(workspace):
    settings = load_settings(workspace.config)
    inventory = load_inventory(settings.inventory.paths, settings.base_dir)
    store = Store.from_settings(settings)
    store.migrate()
    runtime = Runtime(settings, store, lambda: inventory)
    commands = [name for stage in load_stages() for name in stage.commands]
    assert len(commands) == len(set(commands)), "a command drives one stage"
    assert set(commands) <= {c.name for c in COMMANDS}
    stages = load_stages()
    assert [s.name for s in stages] == [p.split(".", 1)[0] for p in STAGES]
    for stage in stages:
        assert isinstance(stage, Stage)
        for section, model in stage.sections.items():
            assert section in Settings.model_fields, (stage.name, section)
            assert issubclass(model, BaseModel)
            model.model_validate({})  # an absent section means its defaults
        assert stage.section_problems(settings) == []
        problems = stage.check(settings, inventory)
        assert isinstance(problems, list)
        jobs = stage.jobs(runtime)
        assert all(isinstance(job, Job) and job.id for job in jobs)
        services = stage.services(runtime)
        try:
            assert all(isinstance(service, Service) for service in services)
        finally:
            for service in services:
                service.close()


@pytest.fixture
def plugged(monkeypatch):
    """The plug-in stage added to the roots' list by its dotted path, as a new stage would be."""
    monkeypatch.setattr("cli.stages.STAGES", [*STAGES, "tests.stage_plugin:STAGE"])
    load_stages.cache_clear()
    yield
    load_stages.cache_clear()


def test_a_stage_plugs_into_check_and_the_daemon_by_one_line(plugged, cli, workspace):
    from cli.scheduler import build_scheduler

    result = cli("check")
    assert "warning: " in result.out and "plugin: the plug-in stage sees 2 integrations" in (
        result.out
    )
    scheduler = build_scheduler(load_settings(workspace.config))
    try:
        assert "plugin:count" in {job.id for job in scheduler.get_jobs()}
    finally:
        scheduler.seamwatch_metrics.close()  # type: ignore[attr-defined]


def test_a_section_that_fails_its_model_is_one_problem_and_skips_the_stage_check(cli, workspace):
    workspace.write(
        "config.toml",
        (workspace.config.read_text() + '\n[detectors]\ninterval = "soon"\n'),
    )
    result = cli("check")
    assert result.code == 2
    errors = [line for line in result.out.splitlines() if "detectors.interval" in line]
    assert len(errors) == 1, result.out
