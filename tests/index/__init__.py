"""Tests of the OpenSearch index package against a real local node."""
