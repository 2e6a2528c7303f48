"""Tests of the search service: query model, backends, route, CLI, dashboards."""
