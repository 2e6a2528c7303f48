"""Drift analysis: the only package that imports Evidently.

`config` reads `models.yaml`; `stats` computes per-feature drift from all rows with numpy
and scipy (Evidently's default methods and thresholds); `evidently_adapter` runs Evidently's
report on a bounded sample and turns its snapshot into our dataclasses; `job` loads a window
through the query layer and stores reports and metric rows; `cron` matches schedules (the
worker, `observability.worker.drift`, runs each model's windows on them).
"""
