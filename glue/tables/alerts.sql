CREATE EXTERNAL TABLE IF NOT EXISTS `observability`.`alerts` (
  `changed_at` timestamp COMMENT 'When the evaluation saw the change (UTC).',
  `rule_group` string COMMENT 'The rule group of alerts.yaml.',
  `fingerprint` string COMMENT 'The alert\'s identity: its labels\' hash.',
  `labels` string COMMENT 'The alert\'s labels, a JSON object.',
  `from_state` string COMMENT 'State before: inactive, pending, ...',
  `to_state` string COMMENT 'State after: pending, firing, resolved, ...',
  `severity` string COMMENT 'info, warning or critical.',
  `value` double COMMENT 'The value the condition saw.',
  `threshold` double COMMENT 'What the value was compared to.',
  `summary` string COMMENT 'The rendered summary annotation.',
  `error` string COMMENT 'Why the rule failed, for error alerts.',
  `evaluator` string COMMENT 'Id of the process that evaluated it.'
)
COMMENT 'One row per alert state transition, for the alerts view and audits.'
PARTITIONED BY (
  `rule` string COMMENT 'The alert rule\'s name (partition).',
  `dt` string COMMENT 'UTC day, YYYY-MM-DD (partition).'
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.ql.io.parquet.serde.ParquetHiveSerDe'
WITH SERDEPROPERTIES ('serialization.format'='1')
STORED AS INPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.parquet.MapredParquetOutputFormat'
LOCATION '${StoreUrl}/alerts/history/'
TBLPROPERTIES ('EXTERNAL'='TRUE', 'classification'='parquet', 'parquet.compression'='ZSTD')
