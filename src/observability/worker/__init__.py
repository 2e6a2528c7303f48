"""The worker role: scheduled jobs (drift per model's cron, compaction of closed hours, and
next alert evaluation), each run isolated, leased and recorded.

`job` is the small protocol a job implements; `runner.Worker` ticks each minute, runs what
is due under a lease (`lease`) and records every run as a row of `job_runs` (`runs`);
`drift` and `compaction` are the jobs; `factory.build_worker` composes them from a
`Runtime`. Nothing here imports pandas or Evidently until a drift window really runs.
"""

from observability.worker.factory import build_worker
from observability.worker.runner import Worker

__all__ = ["Worker", "build_worker"]
