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
    #: The stream CloudWatch Logs subscription filters deliver to (log records only).
    firehose_stream_cloudwatch: str = "observability-cloudwatch"
    #: Where `HttpSink` posts; the collector's base URL.
    collector_url: str = "http://127.0.0.1:8000"
    sink: SinkName = "http"
    service: str = "app"
    env: str = "dev"
    log_level: str = "info"
    #: Collector buffering, like Firehose's buffering hints.
    buffer_max_bytes: int = 5 * 1024 * 1024
    buffer_max_seconds: float = 60.0
    #: Ingest limits, checked while a request is read (over one: 413, nothing stored).
    #: Bytes of one request body as sent.
    max_request_bytes: int = 16 * 1024 * 1024
    #: Bytes of one request body once decompressed (gzip).
    max_decompressed_bytes: int = 32 * 1024 * 1024
    #: Records in one request: NDJSON lines or JSON array elements.
    max_request_lines: int = 50_000
    #: Refused records listed in an ingest answer; the rest are counted, all are in errors/.
    max_response_rejections: int = 100
    #: Ingest requests validated at once (CPU); others wait their turn after reading.
    ingest_concurrency: int = 2
    #: Decoded body bytes held by all requests being read; over it: 503 and Retry-After.
    max_inflight_bytes: int = 256 * 1024 * 1024
    #: HTTP server (`serve`): seconds for a request's headers, then for its whole body.
    header_timeout_seconds: float = 10.0
    body_timeout_seconds: float = 60.0
    #: HTTP server: seconds an idle keep-alive connection stays open.
    keep_alive_seconds: float = 5.0
    #: HTTP server: bytes of a request line plus headers (over it: 431).
    max_header_bytes: int = 64 * 1024
    #: HTTP server: open connections; at the cap the one waiting longest on its client is
    #: closed to make room (if all wait on the server, the new one gets 503 at once).
    max_connections: int = 512
    #: Sink behaviour: how long a log call may wait, how much may be spilled to disk.
    sink_queue_records: int = 100_000
    sink_block_budget_ms: float = 1.0
    sink_flush_seconds: float = 1.0
    sink_deadline_seconds: float = 30.0
    #: The most `observability.shutdown()` (and the exit hooks: SIGTERM, SIGINT, atexit) waits
    #: for delivery; what is still undelivered then is spilled and replayed by the next process.
    sink_shutdown_seconds: float = 5.0
    spill_max_bytes: int = 512 * 1024 * 1024
    host: str = "127.0.0.1"
    port: int = 8000
    query_engine: QueryEngineName = "duckdb"
    #: User SQL (`query` command, HTTP query routes) runs in a query process per query
    #: (`query/isolated.py`): killed after this many seconds (CLI `--timeout` wins);
    query_timeout_seconds: float = 60.0
    #: its address space capped here (RLIMIT_AS, so its RSS stays under it too; DuckDB's
    #: own memory_limit is half of it); it maps ≈250 MB (≈500 MB for S3) before it starts;
    query_memory_bytes: int = 2 * 1024**3
    #: at most this many rows (CLI `--max-rows` wins) and bytes of rows come back;
    query_max_rows: int = 10_000
    query_max_result_bytes: int = 32 * 1024**2
    #: and at most this many run at once (the rest wait for a turn within their time-out).
    query_max_concurrent: int = 2
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
    #: Dashboard API: seconds a listing of the store is reused, so a new drift window or
    #: report shows within this time (0: list on every request).
    api_cache_seconds: float = 2.0
    #: Alerting: the rules, routes and receivers file (`observability alerts check`).
    alerts_config: Path = Path("alerts.yaml")
    #: Redaction: extra key names to mask on top of the built-in list (comma-separated).
    redact_keys: tuple[str, ...] = ()
    #: CloudWatch Logs subscriptions (transform/cloudwatch.py): `log-group=service` pairs
    #: (comma-separated; a trailing `*` matches a prefix). Unmapped groups: the service is
    #: the group's last path segment.
    cloudwatch_services: tuple[str, ...] = ()
    #: The env of records from CloudWatch Logs (default: `env`).
    cloudwatch_env: str | None = None
    #: Where people reach the UI and API; every link in an alert or the README starts here.
    public_url: str = "http://127.0.0.1:8000"
    #: What `serve` runs: any of collector, api, worker (comma-separated; default all three).
    roles: tuple[str, ...] = ("collector", "api", "worker")
    #: The worker's tick; /readyz reports the worker when its last tick is older than 3 ticks.
    worker_tick_seconds: float = 30.0
    #: Auth (`observability.auth`): the server secret API keys are hashed with (HMAC-SHA256,
    #: at least 32 characters); unset, one is made once and kept in the state dir (0600).
    #: Every process that creates or checks keys must share it.
    auth_secret: str | None = dataclasses.field(default=None, repr=False)
    #: The API key this process sends (HTTP sink, demo, CLI) as `Authorization: Bearer`.
    api_key: str | None = dataclasses.field(default=None, repr=False)
    #: Seconds the server trusts its copy of the key list: a new or revoked key counts
    #: within this time.
    auth_cache_seconds: float = 10.0
    #: Bearer JWTs from an identity-aware proxy: its JWKS URL, the issuer and audience a
    #: token must carry, and the claim listing its roles (viewer, ingest, admin).
    jwt_jwks_url: str | None = None
    jwt_issuer: str | None = None
    jwt_audience: str | None = None
    jwt_roles_claim: str = "roles"
    #: Whether `/metrics` answers without a key (Prometheus scrapes it).
    metrics_public: bool = True
    #: Origins a browser may call the API from (comma-separated); empty: CORS off.
    cors_origins: tuple[str, ...] = ()
    #: `serve --insecure-no-auth`: open without keys on any address (warned at every start).
    insecure_no_auth: bool = False

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


def _boolean(raw: object) -> bool:
    """`true`/`false` (also 1/0, yes/no, on/off, any case); TOML booleans as they are."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in {"1", "true", "yes", "on"}:
        return True
    if text in {"0", "false", "no", "off"}:
        return False
    raise ValueError("expected true or false")


_SCALARS: Final[dict[str, Any]] = {"int": int, "float": float, "Path": Path, "bool": _boolean}
