"""A small FastAPI app that logs one line per request through the SDK.

Served by uvicorn and gunicorn in the shutdown tests. Settings come from the
environment, as a user's app reads them; `APP_SERVICE` names the service so each test's
lines can be told apart in a shared store.
"""

from __future__ import annotations

import os

from fastapi import FastAPI
from prometheus_client import CollectorRegistry

import observability
from observability.core.aws import AwsClients
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.transport.factory import build_line_sink

settings = Settings.from_env(os.environ)
aws = AwsClients(settings) if settings.sink == "firehose" else None
sink = build_line_sink(settings, aws, Metrics(CollectorRegistry()))
# The tests count the app's own lines: the server's (bridged stdlib) lines are left out.
observability.configure(
    service=os.environ["APP_SERVICE"], env="test", sink=sink, capture_stdlib=False
)
log = observability.get_logger("shutdown_app")
app = FastAPI()


@app.get("/async/{n}")
async def hit_async(n: int) -> dict[str, int]:
    """Log from the event loop's thread."""
    log.info("request handled", n=n, pid=os.getpid())
    return {"n": n}


@app.get("/sync/{n}")
def hit_sync(n: int) -> dict[str, int]:
    """Log from a thread of the server's pool."""
    log.info("request handled", n=n, pid=os.getpid())
    return {"n": n}
