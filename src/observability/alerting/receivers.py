"""The `receivers:` list of alerts.yaml: names to channel specs, and specs to notifiers.

Each entry is parsed by the channels' own `parse_receiver` (it knows every channel's keys);
this module checks the list's shape and that names are unique, and builds the notifiers of
a configuration once per process, with its AWS clients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING

from observability.alerting.channels import (
    ReceiverError,
    ReceiverSpec,
    build_notifier,
    parse_receiver,
)
from observability.alerting.model import Notifier
from observability.alerting.reading import ConfigError

if TYPE_CHECKING:
    from observability.core.aws import AwsClients

__all__ = ["ReceiverSpec", "build_notifiers", "parse_receivers"]


def parse_receivers(entries: Sequence[object]) -> dict[str, ReceiverSpec]:
    """`[{name: ops, slack: {...}}, ...]` -> name -> spec; ConfigError naming the entry."""
    specs: dict[str, ReceiverSpec] = {}
    for index, entry in enumerate(entries):
        if not isinstance(entry, Mapping):
            raise ConfigError(f"receivers[{index}]: expected a mapping with a name and a channel")
        name = entry.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"receivers[{index}]: name: expected a non-empty string")
        if name in specs:
            raise ConfigError(f"receivers[{index}]: name: receiver {name!r} is defined twice")
        try:
            specs[name] = parse_receiver(name, entry)
        except ReceiverError as exc:
            raise ConfigError(str(exc)) from None
    return specs


def build_notifiers(specs: Mapping[str, ReceiverSpec], aws: AwsClients) -> dict[str, Notifier]:
    """One notifier per receiver, sharing the process's clients."""
    return {name: build_notifier(spec, aws=aws) for name, spec in specs.items()}
