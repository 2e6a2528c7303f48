CREATE OR REPLACE VIEW "observability"."predictions" AS
SELECT
  "schema_version",
  "kind",
  "record_id",
  "timestamp",
  "prediction_id",
  "features",
  "prediction",
  "model_version",
  "latency_ms",
  "service",
  "trace_id",
  "env",
  "attributes",
  "ingested_at",
  "model",
  "dt",
  "hour"
FROM "predictions_compacted"
UNION ALL
SELECT
  j."schema_version",
  j."kind",
  j."record_id",
  j."timestamp",
  j."prediction_id",
  j."features",
  json_format(coalesce(try(json_parse(j."prediction")), CAST(j."prediction" AS JSON))) AS "prediction",
  j."model_version",
  j."latency_ms",
  j."service",
  j."trace_id",
  j."env",
  j."attributes",
  j."ingested_at",
  j."model",
  j."dt",
  j."hour"
FROM "predictions_ndjson" AS j
WHERE NOT EXISTS (
  SELECT 1 FROM "predictions_compacted$partitions" AS p
  WHERE p."model" = j."model" AND p."dt" = j."dt" AND p."hour" = j."hour"
)
