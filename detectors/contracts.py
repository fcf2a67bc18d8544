"""Contract findings, from what the contracts job stored (seamwatch/store/contracts.py):

- `contract_breaking`: the newest version of a spec broke its consumers (a removed path,
  operation, channel or message, a removed response field, a changed type, a new required
  request field, a narrowed enum), each change named in words; open for `breaking_open_for`
  after the version appeared (default 14 days), so the owning team hears of it while it matters;
- `contract_unreachable`: the last check could not fetch or read the spec;
- `contract_invalid`: the last check fetched something that is not a valid OpenAPI/AsyncAPI
  document.

A pure function of the stored state and `as_of`, like every detector; `run_contract_detection`
persists its findings through the same lifecycle, resolving only the names its registry
entry declares.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from detectors import DETECTORS
from detectors.common import finding
from detectors.lifecycle import LifecycleResult, apply_findings
from detectors.settings import load_detector_settings
from detectors.types import INVENTORY_METRIC, Finding, Severity
from seamwatch.config.base import StrictModel
from seamwatch.durations import Duration
from seamwatch.inventory import Inventory
from seamwatch.store import Store
from seamwatch.store.contracts import ContractState, contract_states
from seamwatch.timeutil import ensure_utc

if TYPE_CHECKING:
    pass

log = logging.getLogger(__name__)

SHOWN = 5  # changes named in the summary; all of them are in the evidence


class ContractOptions(StrictModel):
    """Contract findings (detectors/contracts.py): how long a breaking change stays open."""

    breaking_open_for: Duration = timedelta(days=14)


def detect(
    states: list[ContractState],
    inventory: Inventory,
    as_of: datetime,
    *,
    breaking_open_for: timedelta = timedelta(days=14),
) -> list[Finding]:
    """Findings about each inventoried integration's contract as of `as_of`."""
    findings = []
    for state in states:
        integration = inventory.get(state.integration_id)
        if integration is None or not integration.contract.spec:
            continue  # no longer declared: nothing to say
        if state.status == "unreachable":
            findings.append(
                finding(
                    "contract_unreachable",
                    state.integration_id,
                    INVENTORY_METRIC,
                    Severity.WARNING,
                    f"contract spec unreachable: {state.error}",
                    onset=None,  # the check says it fails now, not since when
                    evidence={"spec": state.spec_url, "checked_at": state.checked_at.isoformat()},
                )
            )
        elif state.status == "invalid":
            findings.append(
                finding(
                    "contract_invalid",
                    state.integration_id,
                    INVENTORY_METRIC,
                    Severity.WARNING,
                    f"contract spec is not valid: {state.error}",
                    onset=None,
                    evidence={"spec": state.spec_url, "checked_at": state.checked_at.isoformat()},
                )
            )
        breaking = [c for c in state.changes if c.breaking]
        recent = (
            state.changed_at is not None
            and ensure_utc(state.changed_at) > as_of - breaking_open_for
        )
        if breaking and recent:
            versions = f"{state.from_version or '?'} → {state.api_version or '?'}"
            named = "; ".join(c.description for c in breaking[:SHOWN])
            more = f"; and {len(breaking) - SHOWN} more" if len(breaking) > SHOWN else ""
            findings.append(
                finding(
                    "contract_breaking",
                    state.integration_id,
                    INVENTORY_METRIC,
                    Severity.CRITICAL if integration.tier == 1 else Severity.WARNING,
                    f"{len(breaking)} breaking change{'s' if len(breaking) != 1 else ''} in the "
                    f"contract ({versions}): {named}{more}",
                    evidence={
                        "spec": state.spec_url,
                        "from_version": state.from_version,
                        "to_version": state.api_version,
                        "version_seq": state.seq,
                        "changed_at": ensure_utc(state.changed_at).isoformat(),  # type: ignore[arg-type]
                        "breaking": [c.description for c in breaking],
                        "compatible": [c.description for c in state.changes if not c.breaking],
                    },
                    onset=ensure_utc(state.changed_at),  # type: ignore[arg-type]
                )
            )
    return findings


def run_contract_detection(
    store: Store, inventory: Inventory, app_settings: object, now: datetime
) -> tuple[list[Finding], LifecycleResult]:
    """Evaluate the stored contract state now and persist the findings (these names only)."""
    settings = load_detector_settings(app_settings)  # type: ignore[arg-type]
    as_of = ensure_utc(now)
    with store.read() as con:
        states = contract_states(con, as_of)
    findings = detect(
        states, inventory, as_of, breaking_open_for=settings.contracts.breaking_open_for
    )
    spec = DETECTORS["contracts"]
    stamped, undeclared = spec.stamp(findings)
    if undeclared:  # kept, but its registry line is wrong
        log.error("detector contracts %s", "; ".join(undeclared))
    found = [replace(f, first_seen=as_of, last_seen=as_of) for f in stamped]
    outcome = apply_findings(
        store, found, as_of, resolve_after=1, detectors_ran=list(spec.emits), started_at=as_of
    )
    return found, outcome
