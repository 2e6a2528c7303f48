"""Typed settings, read once at the edge from a mapping (the environment or a dict).

Precedence: explicit overrides (CLI flags) > `OBSERVABILITY_*` variables > the TOML
file named by `OBSERVABILITY_CONFIG` > defaults. Nothing reads `os.environ` at import.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, Final, Literal, cast, get_args

from observability.core.errors import SettingsError
from observability.core.schema import Kind

PREFIX: Final = "OBSERVABILITY_"

SinkName = Literal["firehose", "http", "file", "stdout"]
QueryEngineName = Literal["duckdb", "athena"]
OpenSearchAuth = Literal["none", "basic", "sigv4"]
OpenSearchService = Literal["es", "aoss"]


@dataclass(frozen=True)
class Settings:
    """Everything configurable; the field name upper-cased, prefixed, is the variable."""

    #: `file:///abs/dir`, a plain directory path, or `s3://bucket/prefix`.
    store_url: str = "file://./observability-data"
    #: Local state that must survive a restart: the collector journal and the sink spill.
    state_dir: Path = Path(".observability")
    aws_region: str = "us-east-1"
    #: Point every AWS client somewhere else (tests: the moto server).
    aws_endpoint_url: str | None = None
    firehose_stream_logs: str = "observability-logs"
    firehose_stream_predictions: str = "observability-predictions"
    firehose_stream_labels: str = "observability-labels"
    #: Where `HttpSink` posts; the collector's base URL.
    collector_url: str = "http://127.0.0.1:8000"
    sink: SinkName = "http"
    service: str = "app"
    env: str = "dev"
    log_level: str = "info"
    #: Collector buffering, like Firehose's buffering hints.
    buffer_max_bytes: int = 5 * 1024 * 1024
    buffer_max_seconds: float = 60.0
    max_request_bytes: int = 16 * 1024 * 1024
    #: Sink behaviour: how long a log call may wait, how much may be spilled to disk.
    sink_queue_records: int = 100_000
    sink_block_budget_ms: float = 1.0
    sink_flush_seconds: float = 1.0
    sink_deadline_seconds: float = 30.0
    spill_max_bytes: int = 512 * 1024 * 1024
    host: str = "127.0.0.1"
    port: int = 8000
    query_engine: QueryEngineName = "duckdb"
    #: Glue database holding the tables; Athena workgroup, result location and scan cutoff.
    glue_database: str = "observability"
    athena_workgroup: str = "observability"
    athena_output_location: str | None = None
    athena_bytes_scanned_cutoff: int = 10 * 1024**3
    opensearch_url: str | None = None
    #: `sigv4` for Amazon OpenSearch Service (IAM), `basic` over TLS, `none` for a local node.
    opensearch_auth: OpenSearchAuth = "none"
    opensearch_username: str | None = None
    opensearch_password: str | None = None
    #: SigV4 signing name: `es` (OpenSearch Service domains) or `aoss` (Serverless).
    opensearch_service: OpenSearchService = "es"
    #: A private CA bundle for TLS to OpenSearch (certificates are always verified).
    opensearch_ca_certs: str | None = None
    opensearch_retention_days: int = 30
    opensearch_replicas: int = 1
    #: Drift: the models file (see models.example.yaml).
    models_config: Path = Path("models.yaml")
    #: Redaction: extra key names to mask on top of the built-in list (comma-separated).
    redact_keys: tuple[str, ...] = ()

    @classmethod
    def from_env(cls, environ: Mapping[str, str], **overrides: Any) -> Settings:
        """Build settings from a mapping of variables; explicit overrides win."""
        values: dict[str, Any] = {}
        config_path = environ.get(f"{PREFIX}CONFIG")
        if config_path:
            values.update(_read_config_file(Path(config_path)))
        for f in fields(cls):
            variable = PREFIX + f.name.upper()
            if variable in environ:
                values[f.name] = _coerce(f, environ[variable], variable)
        values.update({k: v for k, v in overrides.items() if v is not None})
        unknown = set(values) - {f.name for f in fields(cls)}
        if unknown:
            raise SettingsError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return cls(**values)

    def replace(self, **changes: Any) -> Settings:
        """A copy with some values changed (tests and CLI flags)."""
        return dataclasses.replace(self, **changes)

    def firehose_stream(self, kind: Kind) -> str:
        """The delivery stream for a record kind (one stream per storage prefix)."""
        return {
            Kind.LOG: self.firehose_stream_logs,
            Kind.PREDICTION: self.firehose_stream_predictions,
            Kind.LABEL: self.firehose_stream_labels,
        }[kind]

    @property
    def journal_dir(self) -> Path:
        """The collector's write-ahead journal."""
        return self.state_dir / "journal"

    @property
    def spill_dir(self) -> Path:
        """Where sinks keep what they could not deliver yet."""
        return self.state_dir / "spill"


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise SettingsError(f"{PREFIX}CONFIG: no such file: {path}") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingsError(f"{PREFIX}CONFIG: {path} is not valid TOML: {exc}") from None
    known = {f.name: f for f in fields(Settings)}
    values: dict[str, Any] = {}
    for name, raw in data.items():
        if name not in known:
            raise SettingsError(f"{path}: unknown setting {name!r}")
        values[name] = _coerce(known[name], raw, f"{path}: {name}")
    return values


def _coerce(f: dataclasses.Field[Any], raw: object, where: str) -> Any:
    annotation = str(f.type)
    try:
        if annotation in _LITERALS:
            allowed = get_args(_LITERALS[annotation])
            if raw not in allowed:
                raise ValueError(f"expected one of {', '.join(allowed)}")
            return raw
        if annotation.startswith("tuple"):
            items = raw if isinstance(raw, list) else str(raw).split(",")
            return tuple(str(item).strip() for item in items if str(item).strip())
        if annotation.endswith("| None"):
            return str(raw).strip() or None
        return _SCALARS.get(annotation, str)(cast(Any, raw))
    except ValueError as exc:
        raise SettingsError(f"{where}: {raw!r} is not valid ({exc})") from None


_LITERALS: Final[dict[str, Any]] = {
    "SinkName": SinkName,
    "QueryEngineName": QueryEngineName,
    "OpenSearchAuth": OpenSearchAuth,
    "OpenSearchService": OpenSearchService,
}
_SCALARS: Final[dict[str, Any]] = {"int": int, "float": float, "Path": Path}
