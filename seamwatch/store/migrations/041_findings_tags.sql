-- v_findings also carries the integration's tags, so a silence or route that matches on tags
-- can be judged from the view alone (the dashboard shows such findings as silenced). The
-- columns of 010 stay as they were; `tags` is added at the end.
CREATE OR REPLACE VIEW v_findings AS
SELECT
    f.finding_id, f.fingerprint, f.integration_id, f.metric, f.detector, f.severity, f.summary,
    f.evidence, f.status, f.first_seen, f.last_seen, f.resolved_at,
    epoch(coalesce(f.resolved_at, now())) - epoch(f.first_seen) AS age_seconds,
    i.name, i.owner, i.tier, i.pattern, i.lifecycle, i.chat_route, i.runbook,
    i.source_system, i.target_system, (i.id IS NOT NULL) AS inventoried, i.tags
FROM findings f
LEFT JOIN integrations i ON i.id = f.integration_id;
