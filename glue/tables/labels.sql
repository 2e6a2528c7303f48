CREATE OR REPLACE VIEW "observability"."labels" AS
SELECT
  "schema_version",
  "kind",
  "record_id",
  "timestamp",
  "prediction_id",
  "label",
  "attributes",
  "ingested_at",
  "model",
  "dt"
FROM "labels_compacted"
UNION ALL
SELECT
  j."schema_version",
  j."kind",
  j."record_id",
  j."timestamp",
  j."prediction_id",
  json_format(coalesce(try(json_parse(j."label")), CAST(j."label" AS JSON))) AS "label",
  j."attributes",
  j."ingested_at",
  j."model",
  j."dt"
FROM "labels_ndjson" AS j
WHERE NOT EXISTS (
  SELECT 1 FROM "labels_compacted$partitions" AS p
  WHERE p."model" = j."model" AND p."dt" = j."dt"
)
