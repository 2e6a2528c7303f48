CREATE OR REPLACE VIEW "observability"."logs" AS
SELECT
  "schema_version",
  "kind",
  "record_id",
  "timestamp",
  "level",
  "event",
  "env",
  "logger",
  "trace_id",
  "span_id",
  "request_id",
  "host",
  "version",
  "exception",
  "attributes",
  "ingested_at",
  "latency_ms",
  "service",
  "dt",
  "hour"
FROM "logs_compacted"
UNION ALL
SELECT
  j."schema_version",
  j."kind",
  j."record_id",
  j."timestamp",
  j."level",
  j."event",
  j."env",
  j."logger",
  j."trace_id",
  j."span_id",
  j."request_id",
  j."host",
  j."version",
  j."exception",
  j."attributes",
  j."ingested_at",
  TRY_CAST(json_format(json_extract(j."attributes", '$.latency_ms')) AS DOUBLE) AS "latency_ms",
  j."service",
  j."dt",
  j."hour"
FROM "logs_ndjson" AS j
WHERE NOT EXISTS (
  SELECT 1 FROM "logs_compacted$partitions" AS p
  WHERE p."service" = j."service" AND p."dt" = j."dt" AND p."hour" = j."hour"
)
