"""`catalog apply`: make the Glue database, tables, views and Athena workgroup match.

Idempotent by comparison, not by blind overwrite: each resource is read first and written
only when it is missing or differs from the rendered definition, so a second run reports
"unchanged" everywhere and leaves Glue's table versions alone. "Differs" means a value we
render is not what the catalog holds; fields the service adds (create times, defaults)
are not ours to compare.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from botocore.exceptions import ClientError

from observability.catalog.partitions import PartitionRegistrar, RegistrationResult
from observability.catalog.render import definitions
from observability.core import keys
from observability.core.derived import ALL_DERIVED
from observability.core.errors import ObservabilityError
from observability.core.fields import Kind
from observability.store.base import ObjectStore
from observability.store.factory import s3_location

Action = Literal["created", "updated", "unchanged"]

#: Athena's smallest allowed per-query scan cutoff.
MIN_BYTES_SCANNED_CUTOFF: Final = 10_000_000
DEFAULT_BYTES_SCANNED_CUTOFF: Final = 10 * 1024**3


@dataclass(frozen=True, slots=True)
class CatalogConfig:
    """Where the catalog goes and how Athena may use it."""

    store_url: str
    database: str = "observability"
    workgroup: str = "observability"
    output_location: str | None = None
    bytes_scanned_cutoff: int = DEFAULT_BYTES_SCANNED_CUTOFF

    def __post_init__(self) -> None:
        s3_location(self.store_url, "the Glue catalog")
        if self.bytes_scanned_cutoff < MIN_BYTES_SCANNED_CUTOFF:
            raise ObservabilityError(
                f"bytes-scanned cutoff must be at least {MIN_BYTES_SCANNED_CUTOFF:,} (Athena's)"
            )

    @property
    def results_location(self) -> str:
        """Athena's query result location: the setting, else `athena-results/` in the store."""
        return self.output_location or f"{self.store_url.rstrip('/')}/{keys.ATHENA_RESULTS}"


@dataclass(frozen=True, slots=True)
class Change:
    """One resource and what apply did to it."""

    resource: Literal["database", "table", "view", "workgroup"]
    name: str
    action: Action


class CatalogApplier:
    """Applies the rendered catalog with injected Glue and Athena clients."""

    def __init__(self, glue: Any, athena: Any, config: CatalogConfig) -> None:
        self._glue = glue
        self._athena = athena
        self._config = config

    def apply(self) -> list[Change]:
        """Database, then tables (views read them), then the workgroup."""
        changes = [self._database()]
        for name, table in definitions(self._config.database).items():
            changes.append(self._table(name, _with_location(table, self._config.store_url)))
        changes.append(self._workgroup())
        return changes

    def _database(self) -> Change:
        name = self._config.database
        wanted = {"Name": name, "Description": "observability: logs, predictions, drift."}
        try:
            current = self._glue.get_database(Name=name)["Database"]
        except ClientError as exc:
            if _code(exc) != "EntityNotFoundException":
                raise
            self._glue.create_database(DatabaseInput=wanted)
            return Change("database", name, "created")
        if _covers(current, wanted):
            return Change("database", name, "unchanged")
        self._glue.update_database(Name=name, DatabaseInput=wanted)
        return Change("database", name, "updated")

    def _table(self, name: str, wanted: dict[str, Any]) -> Change:
        database = self._config.database
        resource: Literal["table", "view"] = (
            "view" if wanted["TableType"] == "VIRTUAL_VIEW" else "table"
        )
        try:
            current = self._glue.get_table(DatabaseName=database, Name=name)["Table"]
        except ClientError as exc:
            if _code(exc) != "EntityNotFoundException":
                raise
            self._glue.create_table(DatabaseName=database, TableInput=wanted)
            return Change(resource, name, "created")
        if _covers(current, wanted):
            return Change(resource, name, "unchanged")
        self._glue.update_table(DatabaseName=database, TableInput=wanted)
        return Change(resource, name, "updated")

    def _workgroup(self) -> Change:
        name = self._config.workgroup
        wanted = {
            "ResultConfiguration": {"OutputLocation": self._config.results_location},
            "EnforceWorkGroupConfiguration": True,
            "BytesScannedCutoffPerQuery": self._config.bytes_scanned_cutoff,
        }
        try:
            current = self._athena.get_work_group(WorkGroup=name).get("WorkGroup")
        except ClientError as exc:
            if _code(exc) not in ("InvalidRequestException", "ResourceNotFoundException"):
                raise
            current = None
        if not current:
            self._athena.create_work_group(
                Name=name,
                Configuration=wanted,
                Description="observability queries: result location and scan limit",
            )
            return Change("workgroup", name, "created")
        if _covers(current.get("Configuration", {}), wanted):
            return Change("workgroup", name, "unchanged")
        self._athena.update_work_group(
            WorkGroup=name,
            ConfigurationUpdates={
                "ResultConfigurationUpdates": wanted["ResultConfiguration"],
                "EnforceWorkGroupConfiguration": True,
                "BytesScannedCutoffPerQuery": self._config.bytes_scanned_cutoff,
            },
        )
        return Change("workgroup", name, "updated")


def register_existing(registrar: PartitionRegistrar, store: ObjectStore) -> RegistrationResult:
    """Register the partitions of everything already in the store (one-off backfill)."""
    prefixes = (
        *(keys.kind_prefix(kind) for kind in Kind),
        keys.COMPACTED,
        *(table.prefix for table in ALL_DERIVED),
    )
    found = [key for prefix in prefixes for key in store.list(prefix)]
    return registrar.register_keys(found)


def _with_location(table: dict[str, Any], store_url: str) -> dict[str, Any]:
    """The rendered definition with the store URL in place of its token."""
    descriptor = table.get("StorageDescriptor", {})
    if "Location" not in descriptor:
        return table
    location = descriptor["Location"].replace("${StoreUrl}", store_url.rstrip("/"))
    return {**table, "StorageDescriptor": {**descriptor, "Location": location}}


def _covers(actual: Any, wanted: Any) -> bool:
    """True when every value in `wanted` is present and equal in `actual`."""
    if isinstance(wanted, Mapping):
        return isinstance(actual, Mapping) and all(
            _covers(actual[key], value) if key in actual else value in ({}, [], "")
            for key, value in wanted.items()
        )
    if isinstance(wanted, list):
        return (
            isinstance(actual, list)
            and len(actual) == len(wanted)
            and all(_covers(a, w) for a, w in zip(actual, wanted, strict=True))
        )
    return bool(actual == wanted)


def _code(exc: ClientError) -> str:
    return str(exc.response.get("Error", {}).get("Code", ""))
