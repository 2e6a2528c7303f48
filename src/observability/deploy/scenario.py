"""What `observability cost` prices (a `Scenario`) and what each component comes to (a `Line`)."""

from __future__ import annotations

from dataclasses import dataclass

from observability.core.errors import ObservabilityError
from observability.deploy.design import (
    COMPACTED_SOURCE_DAYS,
    DEFAULT_SEARCH_DAYS,
    DEFAULT_SEARCH_TIER,
    OPENSEARCH_REPLICAS,
    RETENTION_DAYS,
    SEARCH_TIERS,
    SearchTier,
)


class CostError(ObservabilityError):
    """A configuration the model cannot price (the message says which value)."""


@dataclass(frozen=True, slots=True)
class Scenario:
    """What to price: volume, the hot window, retention, the search tier and its replicas."""

    gb_per_day: float
    #: The hot window: OpenSearch's, or (athena) compacted Parquet's days in S3 Standard.
    search_days: int = DEFAULT_SEARCH_DAYS
    retention_days: int = RETENTION_DAYS
    #: Replica shards of each OpenSearch index (the opensearch tier only).
    replicas: int = OPENSEARCH_REPLICAS
    #: N > 0 deletes compacted NDJSON after N days; 0 keeps it (Standard-IA after 30 days).
    compacted_source_days: int = COMPACTED_SOURCE_DAYS
    search: SearchTier = DEFAULT_SEARCH_TIER

    def __post_init__(self) -> None:
        if not self.gb_per_day > 0:
            raise CostError(f"--gb-per-day must be positive; got {self.gb_per_day}")
        if self.search_days < 1:
            raise CostError(f"--search-days must be at least 1; got {self.search_days}")
        if self.replicas < 0 or self.compacted_source_days < 0:
            raise CostError("--replicas and --compacted-source-days are >= 0")
        if self.retention_days < 1:
            raise CostError(f"--retention-days must be at least 1; got {self.retention_days}")
        if self.search not in SEARCH_TIERS:
            raise CostError(f"--search must be one of {', '.join(SEARCH_TIERS)}")

    @property
    def indexed(self) -> bool:
        """Whether an OpenSearch domain (and the indexer feeding it) is part of the design."""
        return self.search == "opensearch"


@dataclass(frozen=True, slots=True)
class Line:
    """One component's monthly cost and how it was reached."""

    component: str
    monthly: float
    basis: str
