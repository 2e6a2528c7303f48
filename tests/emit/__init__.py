"""Tests of the SDK (observability.emit)."""
