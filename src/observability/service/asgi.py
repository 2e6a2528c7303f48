"""ASGI entry point for uvicorn: `uvicorn observability.service.asgi:create_app_from_env --factory`.

Settings are read when uvicorn calls the factory, never at import time.
"""

from __future__ import annotations

import os

from fastapi import FastAPI

from observability.core.settings import Settings
from observability.service.app import create_app
from observability.service.deps import build_deps


def create_app_from_env() -> FastAPI:
    """Build the app from `OBSERVABILITY_*` variables."""
    settings = Settings.from_env(os.environ)
    return create_app(settings, build_deps(settings))
