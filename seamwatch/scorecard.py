"""The integration checklist as a scorecard: the read model every stage shares.

The facts (each check of each integration: yes, no or n.a., and why) are SQL, `scorecard_at(t)`
and `v_scorecard` (migration 051), so analysts, the CLI, the app and the weekly review read the
same answers. The policy (which checks count, and how much, per tier) is config.toml's
`[scorecard]` section, applied here: a score is the weighted share of counted checks answered
yes; n.a. never counts.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

import duckdb
import pandas as pd
from pydantic import Field, field_validator

from seamwatch.config.base import StrictModel
from seamwatch.inventory import Inventory, Lifecycle
from seamwatch.store.inventory_sync import sync_inventory
from seamwatch.store.schema import migrate

CheckName = Literal[
    "owner",
    "samples",
    "slo",
    "contract",
    "contract_valid",
    "failure_handling",
    "dlq_watched",
    "classified",
    "review",
    "deprecation",
]
CHECKS: tuple[str, ...] = CheckName.__args__  # type: ignore[attr-defined]
STRICT_DEFAULT: list[CheckName] = ["owner", "contract", "slo", "failure_handling"]

YES, NO, NA = "yes", "no", "n.a."

SCORECARD_SQL = """
SELECT * FROM scorecard_at(t := CAST($t AS TIMESTAMPTZ))
WHERE ($team IS NULL OR owner = $team)
ORDER BY integration_id, check_order
"""


class ScorecardSettings(StrictModel):
    """`[scorecard]`: weights per check (0: does not count), overridden per tier, and the checks
    `seamwatch check --strict` requires of every active integration."""

    weights: dict[CheckName, float] = Field(default_factory=dict)
    tiers: dict[int, dict[CheckName, float]] = Field(default_factory=dict)
    strict: list[CheckName] = Field(default_factory=lambda: list(STRICT_DEFAULT))

    @field_validator("weights")
    @classmethod
    def _non_negative(cls, value: dict[str, float]) -> dict[str, float]:
        for check, weight in value.items():
            if weight < 0:
                raise ValueError(f"weight of {check} is {weight}: weights are 0 or more")
        return value

    @field_validator("tiers")
    @classmethod
    def _tiers_1_to_4(cls, value: dict[int, dict[str, float]]) -> dict[int, dict[str, float]]:
        for tier, weights in value.items():
            if not 1 <= tier <= 4:
                raise ValueError(f"tier {tier} does not exist (tiers are 1 to 4)")
            for check, weight in weights.items():
                if weight < 0:
                    raise ValueError(f"tier {tier}: weight of {check} is {weight}: 0 or more")
        return value

    def weight(self, check: str, tier: int | None) -> float:
        """The weight of a check for an integration of `tier`: tier override, else default, else 1."""
        if tier is not None and check in self.tiers.get(int(tier), {}):
            return float(self.tiers[int(tier)][check])  # type: ignore[index]
        return float(self.weights.get(check, 1.0))  # type: ignore[call-overload]


def load_scorecard_settings(settings: Any) -> ScorecardSettings:
    """The validated `[scorecard]` section (errors name config.toml, the key and its line)."""
    from seamwatch.config import validate_section

    return validate_section(ScorecardSettings, settings, "scorecard")


def check_scorecard(settings: Any) -> None:
    """`seamwatch check`: the [scorecard] section is valid."""
    load_scorecard_settings(settings)


def read_checks(
    con: duckdb.DuckDBPyConnection,
    policy: ScorecardSettings,
    *,
    at: datetime | None = None,
    team: str | None = None,
    integration: str | None = None,
) -> pd.DataFrame:
    """Every check of every integration (of `team`, or only `integration`) as of `at` (now),
    with its weight."""
    frame = con.execute(SCORECARD_SQL, {"t": at, "team": team}).df()
    if integration is not None:  # weights for its rows only (a fleet has 10 per integration)
        frame = frame[frame["integration_id"] == integration].reset_index(drop=True)
    # A weight depends on the check and the tier only: look each pair up once, not per row
    # (a fleet of 10,000 has 100,000 rows and 40 pairs).
    tier = frame["tier"]
    tiers = tier.astype(object).where(tier.notna(), None).tolist()  # no pd.isna per row
    pairs = list(zip(frame["check_name"].tolist(), tiers, strict=True))
    weights = {pair: policy.weight(*pair) for pair in set(pairs)}
    frame["weight"] = [weights[pair] for pair in pairs]
    frame["counted"] = (frame["weight"] > 0) & (frame["status"] != NA)
    return frame


SCORE_COLUMNS = [
    "integration_id", "name", "owner", "tier", "pattern", "lifecycle",
    "score", "yes", "no", "na", "failing",
]  # fmt: skip
TEAM_COLUMNS = ["team", "integrations", "score", "passing", "failing_checks"]
NO_OWNER = "(no owner)"


def _score(group: pd.DataFrame) -> float | None:
    counted = group[group["counted"]]
    return _percent(counted["weight"].sum(), counted.loc[counted["status"] == YES, "weight"].sum())


def _percent(total: float, yes: float) -> float | None:
    """The score: the weight answered yes as a share of the counted weight (None: nothing counts)."""
    return None if total <= 0 else round(100.0 * yes / total, 1)


def _tally(checks: pd.DataFrame, by: pd.Series) -> pd.DataFrame:
    """Per group of `by` (sorted): counted weight, weight answered yes, counts of yes/no/n.a.

    Column arithmetic and one groupby: a Python loop over the groups took about 20 s per call
    at 10,000 integrations."""
    counted = checks["counted"].to_numpy(dtype=bool)
    status = checks["status"].to_numpy(dtype=object)
    weight = checks["weight"].to_numpy(dtype=float)
    yes = counted & (status == YES)
    parts = pd.DataFrame(
        {
            "total": weight * counted,
            "yes_weight": weight * yes,
            "yes": yes.astype("int64"),
            "no": (counted & (status == NO)).astype("int64"),
            "na": (status == NA).astype("int64"),
        },
        index=checks.index,
    )
    return parts.groupby(by.to_numpy(dtype=object), sort=True).sum()


def integration_scores(checks: pd.DataFrame) -> pd.DataFrame:
    """One row per integration: score (0-100), the checks answered no (counted ones) and counts."""
    if checks.empty:
        return pd.DataFrame(columns=SCORE_COLUMNS)
    tally = _tally(checks, checks["integration_id"])
    first = checks.drop_duplicates("integration_id").set_index("integration_id")
    missing = checks[checks["counted"] & (checks["status"] == NO)]
    # the checks answered no, in checklist order: a dict of lists, since a groupby joining
    # strings ran Python per group (a third of a second at 10,000 integrations)
    failing: dict[str, list[str]] = {}
    for iid, check in zip(
        missing["integration_id"].tolist(), missing["check_name"].tolist(), strict=True
    ):
        failing.setdefault(iid, []).append(check)
    ids = tally.index
    return pd.DataFrame(
        {
            "integration_id": list(ids),
            "name": first["name"].reindex(ids).to_numpy(),
            "owner": first["owner"].reindex(ids).to_numpy(),
            "tier": first["tier"].reindex(ids).to_numpy(),
            "pattern": first["pattern"].reindex(ids).to_numpy(),
            "lifecycle": first["lifecycle"].reindex(ids).to_numpy(),
            "score": [
                _percent(t, y)
                for t, y in zip(tally["total"].tolist(), tally["yes_weight"].tolist(), strict=True)
            ],
            "yes": tally["yes"].tolist(),
            "no": tally["no"].tolist(),
            "na": tally["na"].tolist(),
            "failing": [", ".join(failing.get(iid, ())) for iid in ids],
        },
        columns=SCORE_COLUMNS,
    )


def team_scores(checks: pd.DataFrame) -> pd.DataFrame:
    """One row per owner team: score over all its integrations' counted checks, how many pass."""
    if checks.empty:
        return pd.DataFrame(columns=TEAM_COLUMNS)
    # per integration only what a team's row needs (integration_scores' names and failing
    # checks cost most of its time, twice per weekly review)
    per = _tally(checks, checks["integration_id"])
    owners = checks.drop_duplicates("integration_id").set_index("integration_id")["owner"]
    # passing: no counted check answered no, and some check counts (a score, see _percent)
    passing = (per["no"].to_numpy() == 0) & (per["total"].to_numpy() > 0)
    tally = _tally(checks, checks["owner"].fillna(NO_OWNER))
    mine = (
        pd.DataFrame(
            {"n": 1, "passing": passing.astype("int64"), "no": per["no"].to_numpy()},
            index=per.index,
        )
        .groupby(owners.reindex(per.index).fillna(NO_OWNER).to_numpy(dtype=object), sort=True)
        .sum()
    )
    teams = tally.index
    return pd.DataFrame(
        {
            "team": list(teams),
            "integrations": mine["n"].reindex(teams, fill_value=0).tolist(),
            "score": [
                _percent(t, y)
                for t, y in zip(tally["total"].tolist(), tally["yes_weight"].tolist(), strict=True)
            ],
            "passing": mine["passing"].reindex(teams, fill_value=0).tolist(),
            "failing_checks": mine["no"].reindex(teams, fill_value=0).tolist(),
        },
        columns=TEAM_COLUMNS,
    )


def fleet_score(checks: pd.DataFrame) -> float | None:
    """The whole fleet's score: every counted check of every integration, weighted."""
    return _score(checks) if not checks.empty else None


def check_totals(checks: pd.DataFrame) -> pd.DataFrame:
    """Per check: how many integrations answer yes, no (where it counts) and n.a."""
    rows = []
    for order, (name, group) in enumerate(
        sorted(checks.groupby("check_name"), key=lambda kv: kv[1]["check_order"].iloc[0])
    ):
        counted = group[group["counted"]]
        rows.append(
            {
                "check_name": name,
                "question": group["question"].iloc[0],
                "yes": int((counted["status"] == YES).sum()),
                "no": int((counted["status"] == NO).sum()),
                "na": int((group["status"] == NA).sum()),
                "order": order,
            }
        )
    frame = pd.DataFrame(rows, columns=["check_name", "question", "yes", "no", "na", "order"])
    return frame.drop(columns="order")


def inventory_checks(
    inventory: Inventory, policy: ScorecardSettings, now: datetime
) -> pd.DataFrame:
    """The scorecard of an inventory alone, without a store (no samples, no contract checks):
    the same SQL, over an in-memory database. For `check --strict` in an inventory repo's CI."""
    con = duckdb.connect()
    try:
        migrate(con)
        sync_inventory(con, inventory, now)
        return read_checks(con, policy, at=now)
    finally:
        con.close()


def strict_failures(
    inventory: Inventory, policy: ScorecardSettings, now: datetime
) -> list[tuple[str, str, str]]:
    """(integration, check, reason) for every active integration lacking a required check."""
    checks = inventory_checks(inventory, policy, now)
    active = {i.id for i in inventory if i.lifecycle is Lifecycle.ACTIVE}
    bad = checks[
        checks["integration_id"].isin(active)
        & checks["check_name"].isin(policy.strict)
        & (checks["status"] == NO)
    ]
    return [(r.integration_id, r.check_name, r.reason) for r in bad.itertuples()]
