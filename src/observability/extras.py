"""Which optional extra provides which import, so a missing one is one readable line.

`pip install observability` is the SDK alone; the collector, the API, SQL and search need
`observability[service]`, the drift job `observability[drift]`. A command that reaches a
module of an extra that is not installed fails with `MissingExtraError` naming the extra,
never with a `ModuleNotFoundError` traceback.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

from observability.core.errors import ObservabilityError

#: Top-level import name -> the extra whose requirements install it.
EXTRA_OF_MODULE: Final[Mapping[str, str]] = {
    "fastapi": "service",
    "starlette": "service",
    "uvicorn": "service",
    "pyarrow": "service",
    "msgspec": "service",
    "duckdb": "service",
    "fsspec": "service",
    "sqlglot": "service",
    "pyathena": "service",
    "opensearchpy": "service",
    "yaml": "service",
    "evidently": "drift",
    "pandas": "drift",
    "numpy": "drift",
    "scipy": "drift",
}


class MissingExtraError(ObservabilityError):
    """A feature was asked for whose optional dependencies are not installed."""

    def __init__(self, extra: str, module: str, what: str | None = None) -> None:
        self.extra = extra
        self.module = module
        subject = what or "this command"
        super().__init__(
            f"{subject} needs observability[{extra}] (no module {module!r}): "
            f"install 'observability[{extra}]'"
        )


def missing_extra(exc: ImportError, what: str | None = None) -> MissingExtraError | None:
    """The extra behind a failed import, or None when the module belongs to no extra."""
    name = (exc.name or "").split(".", 1)[0]
    extra = EXTRA_OF_MODULE.get(name)
    return None if extra is None else MissingExtraError(extra, name, what)


#: Modules an extra installs beyond those it shares with another (yaml is in both).
_ALSO_NEEDS: Final[Mapping[str, tuple[str, ...]]] = {"drift": ("yaml", "msgspec")}


def require_extra(extra: str, what: str) -> None:
    """Raise `MissingExtraError` unless every module of `extra` can be found (none is
    imported: the check is cheap enough for a command group's callback)."""
    from importlib.util import find_spec

    modules = [m for m, owner in EXTRA_OF_MODULE.items() if owner == extra]
    for module in (*modules, *_ALSO_NEEDS.get(extra, ())):
        if find_spec(module) is None:
            raise MissingExtraError(extra, module, what)


def has_extra(extra: str) -> bool:
    """Whether every module of `extra` can be found."""
    try:
        require_extra(extra, extra)
    except MissingExtraError:
        return False
    return True
