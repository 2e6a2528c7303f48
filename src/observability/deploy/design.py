"""The deployed design's defaults, in one place.

The rendered template's parameter defaults (`render.py`), `observability deploy`'s flags
and `observability cost`'s scenario all read these, so the stack a plain deploy creates is
the one the cost model prices.
"""

from __future__ import annotations

from typing import Final, Literal

from observability.core.settings import Settings

#: Where searches run: the API's own search over Athena, or an OpenSearch domain.
SearchTier = Literal["athena", "opensearch"]
SEARCH_TIERS: Final[tuple[SearchTier, ...]] = ("athena", "opensearch")
DEFAULT_SEARCH_TIER: Final[SearchTier] = "athena"

#: The template's `OpenSearchMode`: `none` is the Athena tier; `create` and `existing` are
#: the OpenSearch tier (a domain in the stack, or one named by parameters).
OPENSEARCH_MODES: Final = ("none", "create", "existing")
DEFAULT_OPENSEARCH_MODE: Final = "none"

#: The hot window: OpenSearch's retention, or (Athena) the days compacted Parquet stays in
#: S3 Standard before it moves to Standard-IA (never fewer than `IA_MIN_DAYS`).
DEFAULT_SEARCH_DAYS: Final = 7
#: S3's minimum age for a lifecycle transition into Standard-IA, which also bills at
#: least this many days of storage for every object it holds.
IA_MIN_DAYS: Final = 30
#: Gzip NDJSON that compaction covered is deleted this many days after it was written
#: (0 keeps it, in Standard-IA after `IA_MIN_DAYS`): the Parquet copy holds the same
#: records, and a month of NDJSON stays for `ingest --from-errors`, replays and reindexing.
COMPACTED_SOURCE_DAYS: Final = 30
#: Days record data (NDJSON and Parquet) stays in S3: the template's `RetentionDays`.
RETENTION_DAYS: Final = 365
#: Replica shards of each OpenSearch index: the indexer's own default.
OPENSEARCH_REPLICAS: Final = Settings.opensearch_replicas
#: The Athena workgroup cancels a query once it has scanned this much (and bills what it
#: scanned): the service's own default, so the workgroup and a local `catalog apply` agree.
ATHENA_SCAN_CUTOFF_BYTES: Final = Settings.athena_bytes_scanned_cutoff


def standard_days(search_days: int) -> int:
    """Days compacted Parquet stays in S3 Standard: the hot window, at least IA's minimum."""
    return max(IA_MIN_DAYS, search_days)
