"""OpenSearch: index templates and lifecycle rendered from the schema, the bulk indexer."""
