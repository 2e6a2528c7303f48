"""`GET /models`: every model, configured or seen, with its last window and performance.

A model is known when `models.yaml` (`settings.models_config`) defines it or the drift job
stored a window for it. The file is read again when it changes (by modification time);
a file that cannot be used is a server error (its problem goes to the log), an absent
one means no configured models. Performance over the last window runs the `accuracy` and
`label-delay` queries once per window and `performance_seconds` (labels keep arriving).
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Final

from observability.core.checks import is_name
from observability.core.errors import SettingsError
from observability.core.links import Links
from observability.dashboard import performance
from observability.dashboard.cache import Memo
from observability.dashboard.errors import BadParameterError, NotFoundError
from observability.dashboard.schemas import (
    LastWindow,
    ModelLinks,
    ModelList,
    ModelSummary,
    PerformancePoint,
)
from observability.dashboard.windows import DriftWindows, StoredWindow
from observability.query.base import QueryEngine

if TYPE_CHECKING:
    from observability.analyze.config import ModelConfig

#: How long a model's last-window performance is reused.
PERFORMANCE_SECONDS: Final = 60.0


class ModelCatalog:
    """The models of `models.yaml`, re-read when the file changes."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._lock = threading.Lock()
        self._stamp: tuple[int, int] | None = None
        self._models: Mapping[str, ModelConfig] = {}

    def configured(self) -> Mapping[str, ModelConfig]:
        """Model name -> configuration; empty when the file does not exist."""
        try:
            stat = self._path.stat()
        except FileNotFoundError:
            return {}
        stamp = (stat.st_mtime_ns, stat.st_size)
        with self._lock:
            if stamp == self._stamp:
                return self._models
        from observability.analyze.config import ConfigError, load_models

        try:
            models = load_models(self._path)
        except ConfigError as exc:
            raise SettingsError(f"the models file cannot be used: {exc}") from None
        with self._lock:
            self._stamp, self._models = stamp, models
        return models


class Models:
    """The model list and the check that a model exists."""

    def __init__(
        self,
        catalog: ModelCatalog,
        windows: DriftWindows,
        engine: Callable[[], QueryEngine],
        links: Links,
        *,
        ttl: float,
        performance_seconds: float = PERFORMANCE_SECONDS,
    ) -> None:
        self._catalog = catalog
        self._windows = windows
        self._engine = engine
        self._links = links
        self._performance: Memo[PerformancePoint] = Memo(performance_seconds)
        self._list: Memo[ModelList] = Memo(ttl)

    def names(self) -> list[str]:
        """Configured models and models with stored windows, sorted."""
        return sorted({*self._catalog.configured(), *self._windows.models()})

    def config(self, model: str) -> ModelConfig | None:
        """The configuration of a model, if models.yaml has it."""
        return self._catalog.configured().get(model)

    def require(self, model: str) -> str:
        """The model's name; BadParameterError for a name no model can have, NotFoundError for
        one that no model has."""
        if not is_name(model):
            raise BadParameterError(
                f"bad model name {model[:80]!r}: a model name is 1-128 letters, digits, '.', "
                "'_' or '-', starting with a letter or digit"
            )
        if model in self._catalog.configured() or self._windows.days(model):
            return model
        known = ", ".join(self.names()[:20]) or "none"
        raise NotFoundError(
            f"no model {model!r} is configured or has drift windows (known: {known})"
        )

    def summaries(self) -> ModelList:
        """Every model with its last window and that window's performance (the same answer
        for the listing's TTL, which bounds its freshness anyway)."""
        return self._list.get("models", self._summaries)

    def cached_summaries(self) -> ModelList | None:
        """The list already computed within the TTL, or None (then call `summaries`)."""
        return self._list.fresh("models")

    def _summaries(self) -> ModelList:
        return ModelList(models=[self.summary(name) for name in self.names()])

    def summary(self, model: str) -> ModelSummary:
        """One model's line of the list."""
        config = self.config(model)
        last = self._windows.last(model)
        features = list(config.features) if config else []
        if not features and last is not None:
            features = [f.feature for f in last.point.features]
        return ModelSummary(
            model=model,
            configured=config is not None,
            task=config.task if config else None,
            window_seconds=int(config.window.total_seconds()) if config else None,
            features=features,
            last_window=_last_window(last) if last is not None else None,
            performance=self._last_performance(model, last) if last is not None else None,
            links=self._model_links(model),
        )

    def _last_performance(self, model: str, last: StoredWindow) -> PerformancePoint:
        start, end = last.point.window_start, last.point.window_end
        return self._performance.get(
            (model, start, end), lambda: performance.over(self._engine(), model, start, end)
        )

    def _model_links(self, model: str) -> ModelLinks:
        return ModelLinks(
            drift=self._links.api_model_drift(model),
            reports=self._links.api_model_reports(model),
            performance=self._links.api_model_performance(model),
            view=self._links.model_view(model),
        )


def _last_window(window: StoredWindow) -> LastWindow:
    point = window.point
    assert point.report_id is not None  # a stored window always has its report id
    return LastWindow(
        window_start=point.window_start,
        window_end=point.window_end,
        report_id=point.report_id,
        status=point.status,
        n_current=point.n_current,
        drifted_count=len(point.drifted_features),
        share_drifted=point.share_drifted,
        drifted_features=point.drifted_features,
        computed_at=window.computed_at,
    )
