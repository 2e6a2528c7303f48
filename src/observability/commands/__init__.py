"""CLI commands, one module per resource; `observability.cli` registers them."""
