"""Dashboard API and UI Lambda: `handler(event, context)` behind an API Gateway HTTP API.

The same FastAPI app as `observability serve --role api` (routes, auth, error handling),
run per request by Mangum, the ASGI adapter for Lambda. Settings, clients and the app are
built once per cold start from the environment, never at import. The lifespan is off: the
API role starts nothing in it (no collector, no worker), and Mangum would run it around
every invocation.
"""

from __future__ import annotations

import functools
import logging
import os
from collections.abc import Mapping
from typing import Any

from mangum import Mangum

from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role


def build(environ: Mapping[str, str]) -> Mangum:
    """Compose the adapter around the API app from a mapping of `OBSERVABILITY_*` variables."""
    runtime = Runtime.from_env(environ)
    logging.getLogger("observability").setLevel(runtime.settings.log_level.upper())
    return Mangum(create_app(runtime, frozenset({Role.API})), lifespan="off")


@functools.cache
def _adapter() -> Mangum:
    return build(os.environ)


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    """Lambda entry point: one HTTP API request (payload format 2.0) -> its response."""
    response: dict[str, Any] = _adapter()(event, context)
    return response
