"""Search over logs: one query model, OpenSearch or an embedded scan of the store."""
