"""Turns `store_url` into a store: the only place that knows the URL schemes."""

from __future__ import annotations

from pathlib import Path
from urllib.parse import unquote, urlparse

from observability.core.aws import AwsClients
from observability.core.errors import SettingsError
from observability.store.base import ObjectStore
from observability.store.local import LocalStore
from observability.store.s3 import S3Store


def open_store(store_url: str, aws: AwsClients | None = None) -> ObjectStore:
    """`file:///dir`, `file://./dir`, a bare path, or `s3://bucket/prefix`."""
    parsed = urlparse(store_url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise SettingsError(f"OBSERVABILITY_STORE_URL: no bucket in {store_url!r}")
        if aws is None:
            raise SettingsError("an s3:// store needs AWS clients")
        return S3Store(aws.s3(), parsed.netloc, parsed.path)
    if parsed.scheme == "file":
        return LocalStore(Path(unquote(parsed.netloc + parsed.path)))
    if parsed.scheme == "":
        return LocalStore(Path(store_url))
    raise SettingsError(
        f"OBSERVABILITY_STORE_URL: unsupported scheme {parsed.scheme!r} (use file:// or s3://)"
    )
