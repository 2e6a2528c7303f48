"""Composes the worker of a `Runtime`: compaction always, drift when it can run, alert
evaluation when `alerts_config` names a file (`alerting.job.alerts_job`).

Drift jobs need a models file and the `drift` extra: without either the worker logs once
that drift jobs are off and runs the rest. A models file that is there but wrong is a
`ConfigError` at start-up, not a job that fails every minute.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from observability.extras import has_extra
from observability.worker.job import Job
from observability.worker.runner import Clock, Worker

if TYPE_CHECKING:
    from observability.analyze.job import DriftJob
    from observability.runtime import Runtime
    from observability.worker.drift import DriftWindows

log = logging.getLogger(__name__)


def build_worker(
    runtime: Runtime,
    *,
    models_path: Path | None = None,
    clock: Clock | None = None,
    **options: Any,
) -> Worker:
    """The worker over the runtime's store and metrics; `options` go to `Worker` (the tick
    defaults to `settings.worker_tick_seconds`)."""
    from observability.worker.compaction import CompactionJob

    drift = has_extra("drift")
    on_compacted = None
    if drift:
        from observability.analyze.sketch_store import SketchWriter

        on_compacted = SketchWriter(runtime.store)
    jobs: list[Job] = [CompactionJob(runtime.store, runtime.metrics, on_compacted=on_compacted)]
    windows = drift_windows(runtime, models_path or runtime.settings.models_config, drift=drift)
    if windows is not None:
        jobs.append(windows)
    from observability.alerting.job import alerts_job  # alerting needs the service extra

    alerts = alerts_job(runtime)
    if alerts is not None:
        jobs.append(alerts)
    options.setdefault("tick_seconds", runtime.settings.worker_tick_seconds)
    return Worker(runtime.store, runtime.metrics, jobs, clock=clock, **options)


def drift_windows(runtime: Runtime, models_path: Path, *, drift: bool) -> DriftWindows | None:
    """The drift job of `models_path`; None (logged once) when drift cannot run here."""
    if not models_path.is_file():
        log.info("worker: no models file at %s, drift jobs are off", models_path)
        return None
    if not drift:
        log.warning(
            "worker: drift jobs are off: %s needs observability[drift] "
            "(install 'observability[drift]')",
            models_path,
        )
        return None
    from observability.analyze.config import load_models
    from observability.worker.drift import DriftWindows

    models = load_models(models_path)

    def open_job() -> DriftJob:
        from observability.analyze.job import DriftJob
        from observability.analyze.loader import s3_reader

        engine = runtime.query_engine()
        return DriftJob(
            runtime.store,
            engine,
            models,
            s3_reader=s3_reader(runtime.aws.s3),
            metrics=runtime.metrics,
        )

    return DriftWindows(runtime.store, models, open_job)
