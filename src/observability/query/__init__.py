"""One query layer over Athena and DuckDB; SQL written once in the Athena (Trino) dialect."""
