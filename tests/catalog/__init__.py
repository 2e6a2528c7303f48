"""Tests of the Glue catalog: definitions, partitions, apply, the compaction job."""
