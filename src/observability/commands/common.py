"""What every CLI command shares: the global flags, the runtime, output helpers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from observability.core.schema import Kind
from observability.core.settings import PREFIX, Settings
from observability.runtime import Runtime


@dataclass
class CliContext:
    """The global flags; the process's one `Runtime` is built from them on first use."""

    store_url: str | None
    config: Path | None
    _runtime: Runtime | None = None

    def settings(self, **flags: Any) -> Settings:
        """Settings from the environment, the config file and the flags (flags win)."""
        environ = dict(os.environ)
        if self.config is not None:
            environ[f"{PREFIX}CONFIG"] = str(self.config)
        return Settings.from_env(environ, store_url=self.store_url, **flags)

    def runtime(self, *, serving: bool = False, **flags: Any) -> Runtime:
        """The one runtime of this command, from settings plus the command's own flags
        (`serving`: a long-lived server)."""
        if self._runtime is None:
            self._runtime = Runtime(self.settings(**flags), serving=serving)
        return self._runtime

    def close(self) -> None:
        """Release what the runtime opened (engines, connections)."""
        if self._runtime is not None:
            self._runtime.close()


class _KindType(click.ParamType[Kind]):
    """`log`/`logs`, `prediction`/`predictions`, `label`/`labels` -> Kind."""

    name = "kind"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Kind:
        if isinstance(value, Kind):
            return value
        try:
            return Kind.from_plural(str(value))
        except ValueError as exc:
            self.fail(str(exc), param, ctx)


KIND = _KindType()


def stdout_console() -> Console:
    """stdout; 120 columns when it is not a terminal, so partition paths stay on one line."""
    console = Console()
    return console if console.is_terminal else Console(width=120)


def cli_context(ctx: click.Context) -> CliContext:
    obj: CliContext = ctx.find_root().obj
    return obj
