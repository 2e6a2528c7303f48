CREATE EXTERNAL TABLE IF NOT EXISTS `observability`.`predictions_compacted` (
  `schema_version` bigint COMMENT 'Version of this schema the record follows.',
  `kind` string COMMENT 'log, prediction or label.',
  `record_id` string COMMENT 'Stable id; derived from content when absent.',
  `timestamp` timestamp COMMENT 'When the prediction was made (UTC).',
  `prediction_id` string COMMENT 'Joins the prediction to its label.',
  `features` string COMMENT 'Feature name -> scalar or null. JSON text; read with json_extract_scalar(col, \'$.key\') or \'$\' for a scalar.',
  `prediction` string COMMENT 'Value, class, or class -> probability. JSON text; read with json_extract_scalar(col, \'$.key\') or \'$\' for a scalar.',
  `model_version` string,
  `latency_ms` double,
  `service` string,
  `trace_id` string,
  `env` string,
  `attributes` string COMMENT 'Free-form extra fields. JSON text; read with json_extract_scalar(col, \'$.key\') or \'$\' for a scalar.',
  `ingested_at` timestamp COMMENT 'When the pipeline accepted the record.'
)
COMMENT 'prediction records compacted to Parquet; query the view instead.'
PARTITIONED BY (
  `model` string COMMENT 'Model name (partition).',
  `dt` string COMMENT 'UTC day, YYYY-MM-DD (partition).',
  `hour` string COMMENT 'UTC hour, 00-23 (partition).'
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
WITH SERDEPROPERTIES ('serialization.format'='1')
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION '${StoreUrl}/compacted/predictions/'
TBLPROPERTIES ('EXTERNAL'='TRUE', 'classification'='parquet', 'parquet.compression'='ZSTD')
