CREATE EXTERNAL TABLE IF NOT EXISTS `observability`.`drift_metrics` (
  `window_start` timestamp COMMENT 'Start of the current window (UTC).',
  `window_end` timestamp COMMENT 'End of the current window (UTC).',
  `feature` string COMMENT 'Feature name.',
  `feature_type` string COMMENT 'numeric or categorical.',
  `method` string COMMENT 'Drift test or distance used.',
  `score` double COMMENT 'The method\'s statistic or p-value.',
  `threshold` double COMMENT 'The threshold the score is compared with.',
  `drifted` boolean COMMENT 'Whether the feature drifted in this window.',
  `n_reference` bigint COMMENT 'Rows in the reference window.',
  `n_current` bigint COMMENT 'Rows in the current window.',
  `status` string COMMENT 'ok, no_data, insufficient_data, empty_column, ...',
  `detail` string COMMENT 'What was odd about the feature\'s values, if anything.',
  `report_id` string COMMENT 'The window\'s report: /api/v1/reports/{report_id}.',
  `computed_at` timestamp COMMENT 'When the job computed the row (UTC).'
)
COMMENT 'Per-feature drift results, for timelines.'
PARTITIONED BY (
  `model` string COMMENT 'Model name (partition).',
  `dt` string COMMENT 'UTC day, YYYY-MM-DD (partition).'
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
WITH SERDEPROPERTIES ('serialization.format'='1')
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION '${StoreUrl}/metrics/drift/'
TBLPROPERTIES ('EXTERNAL'='TRUE', 'classification'='parquet', 'parquet.compression'='ZSTD')
