"""The weekly review: queries against the documented views, jinja2 templates, Markdown and HTML.

Public face: `write_report` / `run_scheduled` / `catch_up` / `mark_posted` / `announcement` (CLI
and scheduler; the roots hand the announcement to the alerts stage, which posts it),
`build_report` and the renderers (for tests and other callers), `ReportSettings`.
"""

from reports.build import build_report
from reports.render import render_html, render_markdown
from reports.schedule import report_trigger
from reports.settings import ReportSettings, report_settings
from reports.weeks import Week, WeekError
from reports.writer import (
    ReportError,
    Written,
    announcement,
    catch_up,
    mark_posted,
    run_scheduled,
    write_report,
)

__all__ = [
    "ReportError",
    "ReportSettings",
    "Week",
    "WeekError",
    "Written",
    "announcement",
    "build_report",
    "catch_up",
    "mark_posted",
    "render_html",
    "render_markdown",
    "report_settings",
    "report_trigger",
    "run_scheduled",
    "write_report",
]
