"""What the app is built from, and the FastAPI dependencies routes declare.

The app is built from one `Runtime` (settings, store, metrics registry, engines) made at
the composition root (`observability serve`, the ASGI factory, a test with a LocalStore in
tmp_path and a fresh registry). Routes reach it, and the parts the lifespan starts,
through `StateDep`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Protocol

from fastapi import Depends, Request

from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.collector import Collector, Flusher
from observability.service.roles import Role


class BackgroundWorker(Protocol):
    """The worker role as the app runs it: started and stopped by the lifespan."""

    def start(self) -> None:
        """Start ticking in the background."""
        ...

    def stop(self) -> None:
        """Stop after the running job; bounded in time."""
        ...

    def overdue(self, now: datetime) -> bool:
        """Whether the last tick is older than the tick interval allows."""
        ...


@dataclass
class AppState:
    """Per-app objects. The collector is built always (it touches nothing until started)
    and started only with the collector role; the worker exists only with its role."""

    runtime: Runtime
    roles: frozenset[Role]
    collector: Collector
    flusher: Flusher
    worker: BackgroundWorker | None = None

    @property
    def settings(self) -> Settings:
        """The runtime's settings."""
        return self.runtime.settings


def get_state(request: Request) -> AppState:
    """The state of the app serving this request."""
    state: AppState = request.app.state.observability
    return state


StateDep = Annotated[AppState, Depends(get_state)]
