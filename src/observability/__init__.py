"""observability: structured logs, predictions and drift, from SDK to S3, Athena and OpenSearch."""
