"""Tests of the query layer: SQL, pruning, DuckDB and Athena engines, named queries."""
