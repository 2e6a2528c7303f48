"""S3 ObjectCreated -> Glue partitions (see `observability.catalog.partitions`)."""
