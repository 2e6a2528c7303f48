CREATE EXTERNAL TABLE IF NOT EXISTS `observability`.`job_runs` (
  `target` string COMMENT 'What the run worked on: model/window, ...',
  `run_id` string COMMENT 'Unique id of the run.',
  `status` string COMMENT 'ok, error or skipped.',
  `started_at` timestamp COMMENT 'When the run started (UTC).',
  `finished_at` timestamp COMMENT 'When the run ended (UTC).',
  `duration_seconds` double COMMENT 'Wall-clock duration.',
  `error` string COMMENT 'The error, when the run failed.',
  `worker` string COMMENT 'Id of the worker that ran it.'
)
COMMENT 'One row per run of a worker job, for the jobs view and alerting.'
PARTITIONED BY (
  `job` string COMMENT 'Job name: drift, compaction, ... (partition).',
  `dt` string COMMENT 'UTC day, YYYY-MM-DD (partition).'
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
WITH SERDEPROPERTIES ('serialization.format'='1')
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION '${StoreUrl}/job_runs/'
TBLPROPERTIES ('EXTERNAL'='TRUE', 'classification'='parquet', 'parquet.compression'='ZSTD')
