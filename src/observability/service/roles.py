"""The three roles `observability serve` composes: collector, api, worker.

Locally one process runs all three; on AWS, Firehose and the transform Lambda are the
collector, the API runs as its own service and the worker's jobs run on EventBridge
Scheduler. `--role` (or `OBSERVABILITY_ROLES`) picks any subset.
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum

from observability.core.errors import SettingsError


class Role(StrEnum):
    """A part of the service that can run alone."""

    COLLECTOR = "collector"
    API = "api"
    WORKER = "worker"


ALL_ROLES = frozenset(Role)


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    """Role names (comma-separated items allowed) -> roles; SettingsError names a bad one."""
    names = [part.strip() for value in values for part in value.split(",") if part.strip()]
    if not names:
        raise SettingsError("--role: name at least one of collector, api, worker")
    roles = set()
    for name in names:
        try:
            roles.add(Role(name))
        except ValueError:
            raise SettingsError(
                f"--role: unknown role {name!r} (use collector, api, worker)"
            ) from None
    return frozenset(roles)
