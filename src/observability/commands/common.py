"""What every CLI command shares: the global flags, settings, the store, output helpers."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import click
from rich.console import Console

from observability.core.aws import AwsClients
from observability.core.schema import Kind
from observability.core.settings import PREFIX, Settings
from observability.store.base import ObjectStore
from observability.store.factory import open_store


@dataclass(frozen=True)
class CliContext:
    """The global flags; settings and the store are built from them on demand."""

    store_url: str | None
    config: Path | None

    def settings(self, **flags: Any) -> Settings:
        """Settings from the environment, the config file and the flags (flags win)."""
        environ = dict(os.environ)
        if self.config is not None:
            environ[f"{PREFIX}CONFIG"] = str(self.config)
        return Settings.from_env(environ, store_url=self.store_url, **flags)

    def store(self, settings: Settings) -> ObjectStore:
        """The configured store; AWS clients only for an s3:// URL."""
        aws = AwsClients(settings) if settings.store_url.startswith("s3://") else None
        return open_store(settings.store_url, aws)


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
