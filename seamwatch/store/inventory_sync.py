"""Mirror the loaded inventory into the `integrations` table so SQL can join metadata."""

from __future__ import annotations

import json
from datetime import datetime

import duckdb
import pandas as pd

from seamwatch.inventory import Integration, Inventory


def sync_inventory(con: duckdb.DuckDBPyConnection, inventory: Inventory, now: datetime) -> int:
    """Replace the table's rows with the inventory's, keeping rows from files that failed to load.

    A broken file must not make its integrations vanish from the dashboard; they stay as last
    loaded until the file is fixed.
    """
    broken = {str(err.path) for err in inventory.errors if err.path}
    rows = []
    for integration in inventory:
        rows.append(
            {
                "id": integration.id,
                "name": integration.name,
                "description": integration.description,
                "owner": integration.owner,
                "contacts": list(integration.contacts),
                "chat_route": integration.chat_route,
                "source_system": integration.source_system,
                "target_system": integration.target_system,
                "pattern": integration.pattern.value,
                "tier": integration.tier,
                "lifecycle": integration.lifecycle.value,
                "sunset": integration.sunset,
                "endpoints": list(integration.endpoints),
                "contract_spec": integration.contract.spec,
                "contract_schema": integration.contract.schema_subject,
                "contract_version": integration.contract.version,
                "slo_latency_p95_ms": integration.slo.latency_p95_ms,
                "slo_error_rate": integration.slo.error_rate,
                "review_cadence_days": int(integration.review_cadence.total_seconds() // 86400),
                "last_review": integration.last_review,
                "runbook": integration.runbook,
                "tags": list(integration.tags),
                "collect": json.dumps({m.value: s for m, s in integration.collect.items()}),
                "origin": str(inventory.origin[integration.id]),
                "origin_line": inventory.lines.get(integration.id),
                "synced_at": now,
                **_governance(integration),
            }
        )
    frame = pd.DataFrame(rows, columns=_COLUMNS)
    con.execute("BEGIN TRANSACTION")
    try:
        keep = sorted(broken)
        if keep:
            con.execute("DELETE FROM integrations WHERE origin NOT IN (SELECT unnest(?))", [keep])
        else:
            con.execute("DELETE FROM integrations")
        if rows:
            con.register("inventory_rows", frame)
            con.execute(
                "INSERT INTO integrations BY NAME SELECT * REPLACE (CAST(collect AS JSON) AS collect)"
                " FROM inventory_rows ON CONFLICT (id) DO NOTHING"
            )
            con.unregister("inventory_rows")
        _sync_teams(con, inventory, now, keep)
        con.execute("COMMIT")
    except Exception:
        con.execute("ROLLBACK")
        raise
    return len(rows)


_COLUMNS = [
    "id",
    "name",
    "description",
    "owner",
    "contacts",
    "chat_route",
    "source_system",
    "target_system",
    "pattern",
    "tier",
    "lifecycle",
    "sunset",
    "endpoints",
    "contract_spec",
    "contract_schema",
    "contract_version",
    "slo_latency_p95_ms",
    "slo_error_rate",
    "review_cadence_days",
    "last_review",
    "runbook",
    "tags",
    "collect",
    "origin",
    "origin_line",
    "synced_at",
    # governance (issue 16, migration 051)
    "slo_throughput_min",
    "slo_dlq_depth_max",
    "failure_retries",
    "failure_idempotency_key",
    "failure_dlq",
    "successor",
]


def _governance(integration: Integration) -> dict[str, object]:
    """The scorecard's inventory columns: all SLOs, failure handling, the successor."""
    handling = integration.failure_handling
    return {
        "slo_throughput_min": integration.slo.throughput_min,
        "slo_dlq_depth_max": integration.slo.dlq_depth_max,
        "failure_retries": handling.retries if handling else None,
        "failure_idempotency_key": handling.idempotency_key if handling else None,
        "failure_dlq": handling.dlq if handling else None,
        "successor": integration.successor,
    }


_TEAM_COLUMNS = [
    "id", "name", "description", "members", "contacts", "chat", "oncall",
    "origin", "origin_line", "synced_at",
]  # fmt: skip


def _sync_teams(
    con: duckdb.DuckDBPyConnection, inventory: Inventory, now: datetime, keep: list[str]
) -> None:
    """Replace the `teams` rows as the integrations' (teams of broken files stay as last loaded)."""
    rows = [
        {
            "id": team.id,
            "name": team.name,
            "description": team.description,
            "members": list(team.members),
            "contacts": list(team.contacts),
            "chat": team.chat,
            "oncall": team.oncall,
            "origin": str(inventory.team_origin[team.id][0]),
            "origin_line": inventory.team_origin[team.id][1],
            "synced_at": now,
        }
        for team in inventory.teams.values()
    ]
    if keep:
        con.execute("DELETE FROM teams WHERE origin NOT IN (SELECT unnest(?))", [keep])
    else:
        con.execute("DELETE FROM teams")
    if rows:
        con.register("team_rows", pd.DataFrame(rows, columns=_TEAM_COLUMNS))
        con.execute("INSERT INTO teams BY NAME SELECT * FROM team_rows ON CONFLICT (id) DO NOTHING")
        con.unregister("team_rows")
