"""Sinks: deliver records to Firehose, the local collector, a file or stdout."""
