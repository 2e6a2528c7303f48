"""Schema, partitioning, settings, errors and clients: imports nothing else from the package."""
