"""Lambda handlers: thin shells over the `observability` package, zipped one per function."""
