CREATE EXTERNAL TABLE IF NOT EXISTS `observability`.`labels_ndjson` (
  `schema_version` bigint COMMENT 'Version of this schema the record follows.',
  `kind` string COMMENT 'log, prediction or label.',
  `record_id` string COMMENT 'Stable id; derived from content when absent.',
  `timestamp` timestamp COMMENT 'When the ground truth became known.',
  `prediction_id` string COMMENT 'The prediction this label belongs to.',
  `label` string COMMENT 'The ground truth value or class. JSON text; read with json_extract_scalar(col, \'$.key\') or \'$\' for a scalar.',
  `attributes` string COMMENT 'Free-form extra fields. JSON text; read with json_extract_scalar(col, \'$.key\') or \'$\' for a scalar.',
  `ingested_at` timestamp COMMENT 'When the pipeline accepted the record.'
)
COMMENT 'label records as delivered (gzip NDJSON); query the view instead.'
PARTITIONED BY (
  `model` string COMMENT 'Model name (partition).',
  `dt` string COMMENT 'UTC day, YYYY-MM-DD (partition).'
)
ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'
WITH SERDEPROPERTIES ('case.insensitive'='FALSE', 'ignore.malformed.json'='FALSE')
STORED AS INPUTFORMAT 'org.apache.hadoop.mapred.TextInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '${StoreUrl}/labels/'
TBLPROPERTIES ('EXTERNAL'='TRUE', 'classification'='json', 'compressionType'='gzip')
