"""What kind of thing a finding says, as every reader judges it (health, alert grouping).

A detector declares the kind of each finding it emits (in the detectors' registry); the finding
carries it into the store (`findings.kind`, `v_findings.kind`). Health and alert grouping key on
this property, never on detector names, so a new detector needs no edit outside its module.
"""

from __future__ import annotations

from enum import StrEnum


class FindingKind(StrEnum):
    """The kinds of finding; each has one meaning for health and for alert grouping.

    degradation: a system misbehaves (health: failing when critical, degrading when warning).
    stale: samples stopped arriving (health: "no data", whatever the severity).
    housekeeping: the inventory's upkeep (no owner, review overdue, a sunset): never evidence
      that a shared system is failing, so never part of a shared-system alert group; its
      severity still counts for health as before.
    """

    DEGRADATION = "degradation"
    STALE = "stale"
    HOUSEKEEPING = "housekeeping"
