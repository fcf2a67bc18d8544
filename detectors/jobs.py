"""Scheduled jobs: each batch or file integration with a `schedule` held against its runs.

A job's runs come from its heartbeats (`seamwatch ping`, the ping endpoint) or, for a job that
never pings, from its throughput (a run is a stretch of samples above zero); see
`seamwatch.store.jobs`. Each cron time owns the runs that start from `early` before it until
`early` before the next one: the first is that time's run (on time within `grace`, else late),
any further one ran outside the schedule. Findings, each about the job's latest state:

- `job_missed` (critical): nothing by the last cron time + grace; onset is that deadline.
- `job_late` (warning): the last due run started after its grace; onset is the deadline.
- `job_failed` (critical): the last finished run failed (fail ping, non-zero exit status, or a
  new start before any end); onset is when it ended.
- `job_overrun` (warning): a run still going past `max_duration` (or the last one took longer);
  onset is the run's start.
- `job_duration` (warning): the last run took far longer or shorter than the job's own recent
  runs (median and MAD of the last `runs`); onset is the run's start.
- `job_off_schedule` (info): the latest run was a second run for one cron time (a manual
  re-run, a schedule changed on the host but not in the inventory); onset is its start.
"""

from __future__ import annotations

import statistics
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pydantic import Field

from detectors import common
from detectors.common import iso
from detectors.frame import DetectionFrame
from detectors.types import INVENTORY_METRIC, Finding, Severity
from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration, format_duration
from seamwatch.inventory import Integration, Lifecycle
from seamwatch.schedule import Schedule
from seamwatch.store.jobs import JobRun

if TYPE_CHECKING:
    from detectors.settings import DetectorSettings

EXCERPT = 200  # characters of a failed run's log tail in its summary
MAX_IN_A_ROW = 60  # missed cron times counted back, at most


class JobOptions(StrictModel):
    """Scheduled jobs (detectors/jobs.py): how early a run may start and still count for its
    cron time, and when a run's duration is unusual against the job's own recent runs (a
    robust z-score on the median and MAD of the last `runs`, and a ratio to the median)."""

    early: Duration = timedelta(minutes=5)
    runs: int = Field(default=10, ge=3, le=100)
    min_runs: int = Field(default=5, ge=3)
    duration_ratio: float = Field(default=2.0, gt=1)
    duration_z: float = Field(default=4.0, gt=0)
    min_change: Duration = timedelta(minutes=1)


def detect(frame: DetectionFrame, settings: DetectorSettings, as_of: datetime) -> list[Finding]:
    """Findings for every scheduled job of the inventory, as of `as_of`."""
    findings: list[Finding] = []
    for integration in frame.inventory:
        if integration.schedule is None or integration.lifecycle in (
            Lifecycle.PLANNED,
            Lifecycle.RETIRED,
        ):
            continue
        runs = [r for r in frame.job_runs.get(integration.id, []) if r.at <= as_of]
        findings.extend(judge(integration, runs, as_of, settings.jobs))
    return findings


def judge(
    integration: Integration, runs: list[JobRun], as_of: datetime, options: JobOptions
) -> list[Finding]:
    """What one job's runs (oldest first) say against its schedule as of `as_of`."""
    schedule = integration.schedule
    assert schedule is not None
    found: list[Finding] = []

    def finding(name: str, severity: Severity, summary: str, onset: datetime, **evidence) -> None:
        evidence = {"schedule": schedule.describe(), **evidence}
        found.append(
            common.finding(
                name,
                integration.id,
                INVENTORY_METRIC,
                severity,
                summary,
                onset=onset,
                evidence=evidence,
            )
        )

    due = schedule.due_before(as_of - schedule.grace)
    if due is not None:
        deadline = due + schedule.grace
        mine = _runs_of(schedule, runs, due, as_of, options.early)
        if not mine:
            last = runs[-1].at if runs else None
            in_a_row = _missed_in_a_row(schedule, runs, due, options.early)
            finding(
                "job_missed",
                Severity.CRITICAL,
                f"missed run: due {_local(due, schedule)}, nothing by {_local(deadline, schedule)}"
                + (f" ({in_a_row} missed in a row)" if in_a_row > 1 else "")
                + f"; last run {_local(last, schedule) if last else 'never seen'}",
                deadline,
                expected=iso(due),
                deadline=iso(deadline),
                missed_in_a_row=in_a_row,
                last_run=iso(last) if last else None,
            )
        elif mine[0].at > deadline:
            late = mine[0].at - due
            finding(
                "job_late",
                Severity.WARNING,
                f"late run: due {_local(due, schedule)}, started {_local(mine[0].at, schedule)}, "
                f"{format_duration(late)} late (grace {format_duration(schedule.grace)})",
                deadline,
                expected=iso(due),
                started=iso(mine[0].at),
                late_s=late.total_seconds(),
            )

    if runs:
        latest = runs[-1]
        slot = schedule.due_before(latest.at + options.early)
        earlier = (
            [r for r in _runs_of(schedule, runs, slot, as_of, options.early) if r is not latest]
            if slot is not None
            else []
        )
        if slot is None or earlier:
            finding(
                "job_off_schedule",
                Severity.INFO,
                f"ran outside its schedule: a run started {_local(latest.at, schedule)}"
                + (
                    f", a second one for {_local(slot, schedule)}"
                    if slot is not None
                    else ", before any cron time"
                ),
                latest.at,
                started=iso(latest.at),
                expected=iso(slot) if slot else None,
            )
    _overrun(schedule, runs, as_of, finding)

    ended = [r for r in runs if r.status not in ("running",)]
    if ended:
        last = ended[-1]
        if last.failed:
            when = last.finished_at or last.at
            why = (
                f"exit status {last.exit_status}"
                if last.exit_status not in (None, 0)
                else "a new run started before it reported an end"
                if last.status == "unfinished"
                else "it reported failure"
            )
            excerpt = _excerpt(last.body)
            finding(
                "job_failed",
                Severity.CRITICAL,
                f"failed run: started {_local(last.started_at, schedule) if last.started_at else 'unknown'}"
                f", {why}" + (f": {excerpt}" if excerpt else ""),
                when,
                started=iso(last.started_at) if last.started_at else None,
                finished=iso(last.finished_at) if last.finished_at else None,
                exit_status=last.exit_status,
                body=excerpt,
            )
        else:
            _duration(schedule, ended, options, finding)
    return found


def _runs_of(
    schedule: Schedule, runs: list[JobRun], due: datetime, as_of: datetime, early: timedelta
) -> list[JobRun]:
    """The runs a cron time owns: from `early` before it until `early` before the next one."""
    following = schedule.due_after(due)
    if following is None or following - early > as_of:
        return [r for r in runs if due - early <= r.at <= as_of]
    return [r for r in runs if due - early <= r.at < following - early]


def _missed_in_a_row(
    schedule: Schedule, runs: list[JobRun], due: datetime, early: timedelta
) -> int:
    """How many cron times in a row, up to `due`, have no run (at most MAX_IN_A_ROW)."""
    count, slot = 1, due
    first = runs[0].at if runs else None
    while count < MAX_IN_A_ROW:
        before = schedule.due_before(slot - timedelta(seconds=1))
        if before is None or first is None or before - early < first - timedelta(days=1):
            break  # before the job's history began: not counted as missed
        if any(before - early <= r.at < slot - early for r in runs):
            break
        count, slot = count + 1, before
    return count


def _overrun(schedule: Schedule, runs: list[JobRun], as_of: datetime, finding) -> None:
    """A run going on past max_duration; else the last run, if it took longer than that."""
    limit = schedule.max_duration
    if limit is None or not runs:
        return
    running = [r for r in runs if r.status == "running" and r.started_at is not None]
    if running and as_of - running[-1].started_at > limit:  # type: ignore[operator]
        run = running[-1]
        took = as_of - run.started_at  # type: ignore[operator]
        finding(
            "job_overrun",
            Severity.WARNING,
            f"still running after {format_duration(_minutes(took))} (at most "
            f"{format_duration(limit)}), started {_local(run.started_at, schedule)}",
            run.started_at,
            started=iso(run.started_at),  # type: ignore[arg-type]
            running_s=took.total_seconds(),
            max_duration_s=limit.total_seconds(),
        )
        return
    finished = [r for r in runs if r.duration_s is not None and r.status != "running"]
    if finished and finished[-1].duration_s > limit.total_seconds():  # type: ignore[operator]
        run = finished[-1]
        finding(
            "job_overrun",
            Severity.WARNING,
            f"the last run took {format_duration(_minutes(timedelta(seconds=run.duration_s or 0)))}"
            f" (at most {format_duration(limit)}), started {_local(run.started_at, schedule)}",
            run.started_at,
            started=iso(run.started_at),  # type: ignore[arg-type]
            duration_s=run.duration_s,
            max_duration_s=limit.total_seconds(),
        )


def _duration(schedule: Schedule, ended: list[JobRun], options: JobOptions, finding) -> None:
    """The last run's duration against the median and MAD of the job's previous good runs."""
    last = ended[-1]
    took = last.duration_s
    if took is None or last.failed:
        return
    before = [r.duration_s for r in ended[:-1] if r.duration_s is not None and not r.failed]
    before = before[-options.runs :]
    if len(before) < options.min_runs:
        return
    median = statistics.median(before)
    mad = statistics.median(abs(d - median) for d in before)  # type: ignore[operator]
    scale = max(
        1.4826 * mad, 0.05 * median, 1.0
    )  # identical runs must not make any change "infinite"
    z = (took - median) / scale
    if abs(took - median) < options.min_change.total_seconds():
        return
    longer = took >= options.duration_ratio * median and z >= options.duration_z
    shorter = took * options.duration_ratio <= median and z <= -options.duration_z
    if not (longer or shorter):
        return
    ratio = took / median if median > 0 else float("inf")
    how = f"{ratio:.1f}x" if longer else f"{ratio:.0%} of"
    finding(
        "job_duration",
        Severity.WARNING,
        f"the last run took {format_duration(_minutes(timedelta(seconds=took)))}, {how} its usual "
        f"{format_duration(_minutes(timedelta(seconds=median)))} (median of the last "
        f"{len(before)} runs), started {_local(last.started_at, schedule)}",
        last.started_at or last.at,
        duration_s=took,
        median_s=median,
        mad_s=mad,
        z=round(z, 2),
        runs=len(before),
    )


def _minutes(delta: timedelta) -> timedelta:
    """A duration to the second below an hour, to the minute above (for summaries)."""
    seconds = int(delta.total_seconds())
    return timedelta(seconds=seconds if seconds < 3600 else seconds - seconds % 60)


def _local(ts: datetime | None, schedule: Schedule) -> str:
    """A time as the job's owners read it: in the schedule's zone, with UTC beside it."""
    if ts is None:
        return "unknown"
    local = ts.astimezone(schedule.zone)
    if schedule.timezone in ("UTC", "Etc/UTC"):
        return f"{local:%a %Y-%m-%d %H:%M} UTC"
    return f"{local:%a %Y-%m-%d %H:%M %Z} ({ts:%H:%M} UTC)"


def _excerpt(body: str | None) -> str | None:
    """The last lines of a log tail, on one line, at most EXCERPT characters."""
    if not body or not body.strip():
        return None
    text = " | ".join(line.strip() for line in body.strip().splitlines() if line.strip())
    return text if len(text) <= EXCERPT else "…" + text[-EXCERPT + 1 :]
