CREATE EXTERNAL TABLE IF NOT EXISTS `observability`.`logs_compacted` (
  `schema_version` bigint COMMENT 'Version of this schema the record follows.',
  `kind` string COMMENT 'log, prediction or label.',
  `record_id` string COMMENT 'Stable id; derived from content when absent.',
  `timestamp` timestamp COMMENT 'When the event happened (UTC).',
  `level` string COMMENT 'debug, info, warning, error or critical.',
  `event` string COMMENT 'The log message.',
  `env` string,
  `logger` string,
  `trace_id` string,
  `span_id` string,
  `request_id` string,
  `host` string,
  `version` string,
  `exception` string COMMENT 'type, message and frames. JSON text; read with json_extract_scalar(col, \'$.key\') or \'$\' for a scalar.',
  `attributes` string COMMENT 'Free-form extra fields. JSON text; read with json_extract_scalar(col, \'$.key\') or \'$\' for a scalar.',
  `ingested_at` timestamp COMMENT 'When the pipeline accepted the record.',
  `latency_ms` double COMMENT 'Request latency in milliseconds (attributes).'
)
COMMENT 'log records compacted to Parquet; query the view instead.'
PARTITIONED BY (
  `service` string COMMENT 'Emitting service (partition).',
  `dt` string COMMENT 'UTC day, YYYY-MM-DD (partition).',
  `hour` string COMMENT 'UTC hour, 00-23 (partition).'
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
WITH SERDEPROPERTIES ('serialization.format'='1')
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION '${StoreUrl}/compacted/logs/'
TBLPROPERTIES ('EXTERNAL'='TRUE', 'classification'='parquet', 'parquet.compression'='ZSTD')
