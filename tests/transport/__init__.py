"""Tests of the sinks: Firehose, HTTP, file, stdout, the background queue and the spill."""
