"""ASGI entry point: `uvicorn observability.service.asgi:create_app_from_env --factory`.

Settings are read when the server calls the factory, never at import time; the roles come
from `OBSERVABILITY_ROLES` (default all three). Prefer `observability serve`: its server
(`service/server.py`) adds header and body read deadlines and a connection cap that plain
uvicorn and gunicorn do not have, so behind them put a proxy that enforces those.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import parse_roles


def create_app_from_env() -> FastAPI:
    """Build the app from `OBSERVABILITY_*` variables."""
    runtime = Runtime.from_env(os.environ)
    return create_app(runtime, parse_roles(runtime.settings.roles))
