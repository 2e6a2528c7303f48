"""One AWS client factory with one botocore configuration, built at the composition root."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any, Final

import boto3
from botocore.config import Config

from observability.core.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_firehose import FirehoseClient
    from mypy_boto3_s3 import S3Client

#: botocore retries transport errors itself; record-level retries belong to transport/retry.py.
BOTOCORE_CONFIG: Final = Config(
    retries={"mode": "standard", "max_attempts": 3},
    connect_timeout=5,
    read_timeout=30,
    max_pool_connections=32,
    tcp_keepalive=True,
)


class AwsClients:
    """Creates each client once per process; sessions are not thread-safe, clients are."""

    def __init__(self, settings: Settings, session: boto3.Session | None = None) -> None:
        self._settings = settings
        self._session = session
        self._clients: dict[str, Any] = {}
        self._lock = threading.Lock()

    @property
    def session(self) -> boto3.Session:
        """The process's one boto3 session, made on first use (a local run may need none)."""
        with self._lock:
            return self._session_locked()

    def _session_locked(self) -> boto3.Session:
        if self._session is None:
            self._session = boto3.Session(region_name=self._settings.aws_region)
        return self._session

    def client(self, service: str) -> Any:
        """The shared client for `service`, pointed at the configured endpoint if any."""
        with self._lock:
            existing = self._clients.get(service)
            if existing is None:
                existing = self._session_locked().client(
                    service,  # type: ignore[call-overload]
                    endpoint_url=self._settings.aws_endpoint_url,
                    config=BOTOCORE_CONFIG,
                )
                self._clients[service] = existing
            return existing

    def s3(self) -> S3Client:
        """The S3 client."""
        client: S3Client = self.client("s3")
        return client

    def firehose(self) -> FirehoseClient:
        """The Firehose client."""
        client: FirehoseClient = self.client("firehose")
        return client
