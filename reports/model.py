"""What a weekly review says, as plain values: built from the store, rendered by the templates."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from reports.weeks import Week
from seamwatch.findings import Finding
from seamwatch.metrics import METRIC_INFO, Metric

# The metrics of the per-integration table, in the order a reader scans them.
TABLE_METRICS: tuple[Metric, ...] = (
    Metric.THROUGHPUT,
    Metric.ERROR_RATE,
    Metric.LATENCY_P95_MS,
    Metric.DLQ_DEPTH,
)

# A change smaller than this (relative to the larger of last week's value and the floor) is noise
# for the reader; the floor keeps 0.1% -> 0.2% errors or 0 -> 2 DLQ messages from looking huge.
CHANGE_FLOOR: dict[Metric, float] = {
    Metric.THROUGHPUT: 0.1,
    Metric.ERROR_RATE: 0.001,
    Metric.LATENCY_P50_MS: 10.0,
    Metric.LATENCY_P95_MS: 10.0,
    Metric.LATENCY_P99_MS: 10.0,
    Metric.DLQ_DEPTH: 10.0,
}
# What a change must exceed to matter to a reader when ranking the biggest changes: half a
# percentage point of errors, 50 ms of latency, 1 msg/s, 100 DLQ messages. A 0.05% -> 0.07%
# error rate is +40% relative but no news; a 400 -> 470 ms p95 is.
IMPACT_FLOOR: dict[Metric, float] = {
    Metric.THROUGHPUT: 1.0,
    Metric.ERROR_RATE: 0.005,
    Metric.LATENCY_P50_MS: 50.0,
    Metric.LATENCY_P95_MS: 50.0,
    Metric.LATENCY_P99_MS: 50.0,
    Metric.DLQ_DEPTH: 100.0,
}
NOTABLE_CHANGE = 0.10
FULL_COVERAGE = 0.99
HEALTH_ORDER = ("failing", "no data", "degrading", "unmonitored", "ok", "not live")


@dataclass(frozen=True)
class MetricWeek:
    """One metric of one integration: this week's and last week's weekly value.

    The weekly value is the mean for throughput and latency, the throughput-weighted mean for the
    error rate and the peak for a DLQ (with `final`, its depth at the end of the week).
    """

    metric: Metric
    this: float | None
    last: float | None
    final: float | None = None
    last_final: float | None = None

    @property
    def change(self) -> float | None:
        """Relative change this week vs last (None without both weeks or from zero)."""
        if self.this is None or self.last is None or self.last == 0:
            return None
        return self.this / self.last - 1.0

    @property
    def score(self) -> float:
        """Size of the change, relative to last week's level but never to less than the floor."""
        if self.this is None or self.last is None:
            return 0.0
        return abs(self.this - self.last) / max(abs(self.last), CHANGE_FLOOR[self.metric])

    @property
    def impact(self) -> float:
        """The change as a reader weighs it: relative to last week's level, but never to less
        than what matters for the metric (IMPACT_FLOOR), so small numbers do not rank first."""
        if self.this is None or self.last is None:
            return 0.0
        return abs(self.this - self.last) / max(abs(self.last), IMPACT_FLOOR[self.metric])

    @property
    def direction(self) -> str:
        """`worse`, `better` or `same` from the reader's point of view."""
        if self.score < NOTABLE_CHANGE or self.this is None or self.last is None:
            return "same"
        up = self.this > self.last
        return "worse" if up == METRIC_INFO[self.metric].higher_is_worse else "better"


@dataclass(frozen=True)
class SloWeek:
    """Share of the sampled time within the SLOs, this week and last, and error budget left."""

    latency_ok: float | None
    error_ok: float | None
    within: float | None
    within_last: float | None
    budget_left: float | None


@dataclass
class IntegrationWeek:
    """One integration in the report: inventory facts, its health at the end of the week (now
    while the week is in progress) and its numbers for the week."""

    id: str
    name: str
    owner: str | None
    tier: int | None
    pattern: str | None
    lifecycle: str | None
    sunset: date | None
    inventoried: bool
    health: str | None
    reason: str | None
    runbook: str | None
    last_review: date | None
    review_due: date | None
    slo_latency_p95_ms: float | None
    slo_error_rate: float | None
    metrics: dict[Metric, MetricWeek] = field(default_factory=dict)
    coverage: float = 0.0
    coverage_last: float = 0.0
    first_ts: datetime | None = None
    last_ts: datetime | None = None
    slo: SloWeek | None = None
    sparkline: list[float | None] = field(default_factory=list)

    @property
    def has_data(self) -> bool:
        """Any sample this week."""
        return self.coverage > 0

    @property
    def expects_data(self) -> bool:
        """Whether silence would be a problem: not when planned, retired and silent."""
        return self.has_data or self.lifecycle not in ("planned", "retired")

    @property
    def traffic(self) -> float | None:
        """Mean throughput this week (None when throughput is not collected)."""
        m = self.metrics.get(Metric.THROUGHPUT)
        return m.this if m else None

    def metric(self, name: Metric | str) -> MetricWeek | None:
        """The figures of one metric, if collected."""
        return self.metrics.get(Metric(name))


@dataclass(frozen=True)
class FindingRow(Finding):
    """A finding as the report shows it: the spine's read model, as it stood at the report's
    `as_of`, with its metric's numbers for the two weeks. Its onset is the week it belongs to."""

    numbers: MetricWeek | None = field(default=None, compare=False)


@dataclass(frozen=True)
class Chart:
    """Hourly values of one series over this week and last, for one small chart."""

    integration_id: str
    name: str
    metric: Metric
    this: list[float | None]
    last: list[float | None]
    numbers: MetricWeek


@dataclass(frozen=True)
class FailedSource:
    """A collection source with failed or partial runs in the week."""

    source: str
    kind: str
    runs: int
    failed: int
    partial: int
    last_error: str | None
    last_failure: datetime | None
    affected: list[str]


@dataclass(frozen=True)
class JobWeek:
    """One batch job's week: its runs, the failed ones, the cron times it missed."""

    integration_id: str
    name: str | None
    owner: str | None
    runs: int
    failed: int
    missed: int
    median_s: float | None
    max_s: float | None
    last_failure: datetime | None
    last_failure_log: str | None


@dataclass
class Governance:
    """Housekeeping the review meeting should act on."""

    review_overdue: list[IntegrationWeek] = field(default_factory=list)
    review_due: list[IntegrationWeek] = field(default_factory=list)
    no_owner: list[IntegrationWeek] = field(default_factory=list)
    past_sunset: list[IntegrationWeek] = field(default_factory=list)
    not_inventoried: list[IntegrationWeek] = field(default_factory=list)
    silent: list[IntegrationWeek] = field(default_factory=list)
    failed_sources: list[FailedSource] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        """Nothing to act on."""
        return not any(
            (self.review_overdue, self.review_due, self.no_owner, self.past_sunset,
             self.not_inventoried, self.silent, self.failed_sources)
        )  # fmt: skip


@dataclass
class Counts:
    """Findings and notifications of one week."""

    opened: int = 0
    resolved: int = 0
    open_at_end: int = 0
    sent: int = 0
    undelivered: int = 0
    silenced: int = 0
    pending: int = 0


@dataclass
class Coverage:
    """How much of a week has data at all."""

    hours: float
    week_hours: float
    first_ts: datetime | None
    last_ts: datetime | None
    samples: int

    @property
    def share(self) -> float:
        """Share of the week's hours with at least one sample."""
        return min(1.0, self.hours / self.week_hours) if self.week_hours else 0.0

    @property
    def empty(self) -> bool:
        return self.samples == 0

    @property
    def partial(self) -> bool:
        return not self.empty and self.share < FULL_COVERAGE


@dataclass(frozen=True)
class ScoreChange:
    """One check of one integration that answers differently than a week before."""

    integration_id: str
    name: str
    owner: str | None
    check_name: str
    was: str
    now: str
    reason: str


@dataclass
class ScorecardWeek:
    """The checklist at the end of the week, and what changed since the end of the week before."""

    score: float | None = None
    score_last: float | None = None
    teams: list[tuple[str, float | None, float | None]] = field(default_factory=list)
    totals: list[tuple[str, int, int]] = field(default_factory=list)  # check, yes, no
    improved: list[ScoreChange] = field(default_factory=list)
    worsened: list[ScoreChange] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        """Points gained (or lost) since last week."""
        if self.score is None or self.score_last is None:
            return None
        return round(self.score - self.score_last, 1)


@dataclass
class TeamPart:
    """One owner team's part of the fleet report."""

    team: str
    integrations: list[IntegrationWeek]
    degraded: list[FindingRow]
    still_open: list[FindingRow]
    governance: Governance


@dataclass
class Report:
    """Everything one weekly review says."""

    week: Week
    team: str | None
    generated_at: datetime
    coverage: Coverage
    coverage_last: Coverage
    integrations: list[IntegrationWeek]
    degraded: list[FindingRow]
    recovered: list[FindingRow]
    still_open: list[FindingRow]
    counts: Counts
    counts_last: Counts
    changes: list[Chart]
    governance: Governance
    teams: list[TeamPart]
    known_teams: list[str]
    notes: list[str] = field(default_factory=list)
    scorecard: ScorecardWeek = field(default_factory=ScorecardWeek)
    jobs: list[JobWeek] = field(default_factory=list)

    @property
    def report_id(self) -> str:
        """`2026-W47`, or `2026-W47-payments` for a team's report."""
        return self.week.label if self.team is None else f"{self.week.label}-{team_slug(self.team)}"

    @property
    def title(self) -> str:
        scope = "fleet" if self.team is None else f"team {self.team}"
        return f"Weekly review {self.week.label} ({self.week.span()}), {scope}"

    @property
    def in_progress(self) -> bool:
        """The week had not ended when the report was written."""
        return self.generated_at < self.week.end

    @property
    def health_when(self) -> str:
        """When the health shown held: at the end of the week, or now while it is in progress."""
        return "now" if self.in_progress else "at the end of the week"

    @property
    def inventoried(self) -> list[IntegrationWeek]:
        return [i for i in self.integrations if i.inventoried]

    def by_health(self) -> list[tuple[str, int]]:
        """Integrations per health (see `health_when`), worst first (only the states that occur)."""
        counts: dict[str, int] = {}
        for i in self.integrations:
            counts[i.health or "unknown"] = counts.get(i.health or "unknown", 0) + 1
        order = {h: n for n, h in enumerate(HEALTH_ORDER)}
        return sorted(counts.items(), key=lambda kv: (order.get(kv[0], 99), kv[0]))

    def by_tier(self) -> list[tuple[str, dict[str, int]]]:
        """Per tier: integrations per health."""
        return _grouped(self.inventoried, lambda i: f"tier {i.tier}" if i.tier else "no tier")

    def by_owner(self) -> list[tuple[str, dict[str, int]]]:
        """Per owner team: integrations per health."""
        return _grouped(self.inventoried, lambda i: i.owner or "(no owner)")

    def health_columns(self) -> list[str]:
        """The health states that occur, worst first: the columns of the summary tables."""
        return [h for h, _ in self.by_health()]


def _grouped(rows: list[IntegrationWeek], key) -> list[tuple[str, dict[str, int]]]:  # type: ignore[no-untyped-def]
    groups: dict[str, dict[str, int]] = {}
    for i in rows:
        group = groups.setdefault(key(i), {})
        group[i.health or "unknown"] = group.get(i.health or "unknown", 0) + 1
    return sorted(groups.items())


def team_slug(team: str) -> str:
    """A team name made safe for a file name: `Data & BI` -> `data-bi`."""
    slug = "".join(c if c.isalnum() else "-" for c in team.lower())
    slug = "-".join(part for part in slug.split("-") if part)
    return slug or "team"
