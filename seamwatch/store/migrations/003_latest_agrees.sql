-- `latest` was once maintained from every row offered, including rows `samples` refused (a key
-- written twice, or by a second source); recompute it from what `samples` holds so v_latest
-- agrees with v_samples. first_ts is kept: raw retention may have removed the first sample.
UPDATE latest SET ts = s.ts, value = s.value, source = s.source
FROM (
    SELECT integration_id, metric, max(ts) AS ts, arg_max(value, ts) AS value,
           arg_max(source, ts) AS source
    FROM samples GROUP BY integration_id, metric
) s
WHERE latest.integration_id = s.integration_id AND latest.metric = s.metric
  AND (latest.ts <> s.ts OR latest.value <> s.value OR latest.source IS DISTINCT FROM s.source);
