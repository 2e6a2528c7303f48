"""Tests of the store package: compaction."""
