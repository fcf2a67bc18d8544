"""The SQL of the alerts stage, in one place; parameters are always bound."""

from seamwatch.findings import FINDING_COLUMNS

# Findings that may need a message: every open one, and resolved ones whose open message went
# out on some channel that has not had its resolve message yet.
CANDIDATE_FINDINGS = f"""
WITH opened AS (
    SELECT DISTINCT finding_id, channel FROM notifications WHERE event = 'open' AND status = 'sent'
),
resolved_notes AS (
    SELECT DISTINCT finding_id, channel FROM notifications
    WHERE event = 'resolve' AND status NOT IN ('silenced')
),
owed AS (
    SELECT DISTINCT o.finding_id FROM opened o
    ANTI JOIN resolved_notes r ON r.finding_id = o.finding_id AND r.channel = o.channel
)
SELECT {", ".join(c for c in FINDING_COLUMNS if c != "evidence")}
FROM v_findings
WHERE status = 'open'
   OR (status = 'resolved' AND finding_id IN (SELECT finding_id FROM owed))
ORDER BY first_seen, finding_id
"""

# What the outbox already holds for those findings' events.
NOTES_FOR = """
SELECT dedup_key, status, created_at, sent_at
FROM notifications
WHERE finding_id IN (SELECT unnest(CAST(? AS VARCHAR[])))
"""

# A claim: the message, pending, held by this instance since its creation.
INSERT_MESSAGE = """
INSERT INTO alert_messages (message_id, channel, kind, event, group_key, title, findings, payload,
                            status, attempts, created_at, claimed_by, claimed_at)
VALUES ($message_id, $channel, $kind, $event, $group_key, $title, $findings, $payload,
        'pending', 0, $created_at, $instance, $created_at)
"""

# One event a message carries; the unique dedup key makes a second claim of it fail.
INSERT_NOTIFICATION = """
INSERT INTO notifications (notification_id, dedup_key, finding_id, integration_id, channel, event,
                           status, attempts, last_error, created_at, sent_at, message_id, silenced_by)
VALUES ($id, $dedup_key, $finding_id, $integration_id, $channel, $event,
        $status, 0, $error, $created_at, NULL, $message_id, $silenced_by)
"""

INSERT_SILENCED = INSERT_NOTIFICATION.rstrip() + " ON CONFLICT DO NOTHING"

# Messages another process claimed and never finished (it crashed or was killed), and failed
# messages whose next attempt is due.
RECLAIMABLE = """
SELECT message_id FROM alert_messages
WHERE (status = 'pending' AND claimed_at < $stale)
   OR (status = 'failed' AND next_attempt_at <= $now AND (claimed_by IS NULL OR claimed_at < $stale))
ORDER BY created_at
"""

RECLAIM = """
UPDATE alert_messages SET claimed_by = $me, claimed_at = $now
WHERE message_id = $id
  AND ((status = 'pending' AND claimed_at < $stale)
    OR (status = 'failed' AND next_attempt_at <= $now AND (claimed_by IS NULL OR claimed_at < $stale)))
RETURNING channel, kind, event, group_key, title, findings, CAST(payload AS VARCHAR), attempts,
          created_at
"""

FINISH_MESSAGE = """
UPDATE alert_messages
SET status = $status, attempts = attempts + $attempts, last_error = $error, sent_at = $sent_at,
    next_attempt_at = $next, claimed_by = NULL, claimed_at = CASE WHEN $status = 'failed' THEN NULL ELSE claimed_at END
WHERE message_id = $id
RETURNING attempts
"""

FINISH_NOTIFICATIONS = """
UPDATE notifications SET status = $status, attempts = $attempts, last_error = $error, sent_at = $sent_at
WHERE message_id = $id
"""

# A permanent failure marks the channel failing (since its first); a delivery clears it.
MARK_CHANNEL = """
INSERT INTO channel_health VALUES ($channel, $failing, $since, $error, $n, $now)
ON CONFLICT (channel) DO UPDATE SET
    failing = excluded.failing,
    since = CASE WHEN NOT excluded.failing THEN NULL
                 WHEN channel_health.failing THEN channel_health.since
                 ELSE excluded.since END,
    last_error = CASE WHEN excluded.failing THEN excluded.last_error
                      ELSE channel_health.last_error END,
    failures = CASE WHEN excluded.failing THEN channel_health.failures + 1 ELSE 0 END,
    updated_at = excluded.updated_at
"""
