"""One router per resource: ingest, health."""
