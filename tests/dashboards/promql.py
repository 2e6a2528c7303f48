"""PromQL helpers for the dashboard tests: metric names used, and names the service exports."""

from __future__ import annotations

import re
from typing import Final

from prometheus_client import CollectorRegistry

from observability.core.metrics import Metrics

_NAME: Final = re.compile(r"\bobservability_[a-z0-9_]+\b")
#: Sample names each metric type exposes, after its family name.
_SUFFIXES: Final = {
    "counter": ("_total",),
    "gauge": ("",),
    "histogram": ("_bucket", "_count", "_sum"),
}


def metric_names(expression: str) -> set[str]:
    """The service's metric names an expression reads."""
    return set(_NAME.findall(expression))


def exported_names() -> set[str]:
    """Every sample name the service's Metrics registers."""
    names: set[str] = set()
    for family in Metrics(CollectorRegistry()).registry.collect():
        names |= {family.name + suffix for suffix in _SUFFIXES[family.type]}
    return names
