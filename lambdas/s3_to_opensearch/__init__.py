"""S3 -> OpenSearch indexing Lambda."""
