"""The Glue Data Catalog: table and view definitions rendered from `core`, partitions, apply.

Nothing here is written by hand twice: `tables.py` turns `core.fields.FIELDS` and
`core.partitioning` into Glue `TableInput`s and Athena DDL, `views.py` unions the compacted
and not-yet-compacted data under the names queries use (`logs`, `predictions`, `labels`),
`partitions.py` registers partitions as objects land, and `apply.py` makes the catalog and
the Athena workgroup match, idempotently.
"""
