CREATE EXTERNAL TABLE IF NOT EXISTS `observability`.`labels_compacted` (
  `schema_version` bigint COMMENT 'Version of this schema the record follows.',
  `kind` string COMMENT 'log, prediction or label.',
  `record_id` string COMMENT 'Stable id; derived from content when absent.',
  `timestamp` timestamp COMMENT 'When the ground truth became known.',
  `prediction_id` string COMMENT 'The prediction this label belongs to.',
  `label` string COMMENT 'The ground truth value or class. JSON text; read with json_extract_scalar(col, \'$.key\') or \'$\' for a scalar.',
  `attributes` string COMMENT 'Free-form extra fields. JSON text; read with json_extract_scalar(col, \'$.key\') or \'$\' for a scalar.',
  `ingested_at` timestamp COMMENT 'When the pipeline accepted the record.'
)
COMMENT 'label records compacted to Parquet; query the view instead.'
PARTITIONED BY (
  `model` string COMMENT 'Model name (partition).',
  `dt` string COMMENT 'UTC day, YYYY-MM-DD (partition).'
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
WITH SERDEPROPERTIES ('serialization.format'='1')
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION '${StoreUrl}/compacted/labels/'
TBLPROPERTIES ('EXTERNAL'='TRUE', 'classification'='parquet', 'parquet.compression'='ZSTD')
