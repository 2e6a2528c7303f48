"""`Dashboard`: the read side composed from one `Runtime`, built once per app.

It owns what must outlive a request: the cached store listing (`api_cache_seconds`), the
parsed-file caches, the models file, and the engine for queries users choose (a capped
query process per query, `query/isolated.py`; Athena when configured). The in-process
engine of the runtime answers the bounded queries the read side issues on its own (a
model's last window).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime

from observability.dashboard.alerts import Alerts
from observability.dashboard.drift import DriftTimelines
from observability.dashboard.features import Features
from observability.dashboard.jobs import Jobs
from observability.dashboard.listing import CachedLister, open_lister
from observability.dashboard.models import PERFORMANCE_SECONDS, ModelCatalog, Models
from observability.dashboard.reports import Reports
from observability.dashboard.windows import DriftWindows
from observability.query.base import QueryEngine
from observability.runtime import Runtime


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Dashboard:
    """Every read the dashboard routes make, over one runtime's store and engines."""

    def __init__(
        self,
        runtime: Runtime,
        *,
        clock: Callable[[], datetime] = _utc_now,
        performance_seconds: float = PERFORMANCE_SECONDS,
    ) -> None:
        settings = runtime.settings
        store = runtime.store
        self.runtime = runtime
        self.now = clock
        self.lister = CachedLister(open_lister(store, runtime.aws.s3), settings.api_cache_seconds)
        self.windows = DriftWindows(store, self.lister)
        self.timelines = DriftTimelines(
            store, self.lister, self.windows, settings.api_cache_seconds
        )
        self.models = Models(
            ModelCatalog(settings.models_config),
            self.windows,
            runtime.query_engine,
            runtime.links,
            ttl=settings.api_cache_seconds,
            performance_seconds=performance_seconds,
        )
        self.reports = Reports(store, self.lister, self.windows, runtime.links)
        self.features = Features(store, self.models, self.windows, self.timelines, self.reports)
        self.jobs = Jobs(store, self.lister)
        self.alerts = Alerts(store, self.lister)
        self._user_engine: QueryEngine | None = None
        self._lock = threading.Lock()

    def user_engine(self) -> QueryEngine:
        """The engine for queries a user chose: built on first use, one per app."""
        with self._lock:
            if self._user_engine is None:
                from observability.query.factory import open_user_engine

                settings = self.runtime.settings
                self._user_engine = open_user_engine(
                    settings, self.runtime.store, self.runtime.aws.session
                )
            return self._user_engine

    def close(self) -> None:
        """Release the user engine (a spare query process, if any)."""
        with self._lock:
            engine, self._user_engine = self._user_engine, None
        if engine is not None:
            engine.close()
