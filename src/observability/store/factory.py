"""Turns a URL into a store or a location: the only place that knows the URL schemes.

`file:///dir`, `file://./dir`, a bare path, or `s3://bucket/prefix`. Everything else that
needs a bucket and a key out of a URL (the Glue catalog, the partition registrar, drift
reference files) asks here instead of parsing URLs itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import unquote, urlparse

from observability.core.aws import AwsClients
from observability.core.errors import SettingsError
from observability.store.base import ObjectStore
from observability.store.local import LocalStore
from observability.store.s3 import S3Store


@dataclass(frozen=True)
class Location:
    """Where a URL points: an S3 bucket and key (or prefix), or a local path."""

    scheme: Literal["s3", "file"]
    #: The bucket for s3; empty for local paths.
    bucket: str
    #: The key or prefix (no leading slash) for s3; the filesystem path for local ones.
    path: str

    @property
    def prefix(self) -> str:
        """The S3 key as a prefix: `a/b/`, or empty for a bucket's root."""
        stripped = self.path.strip("/")
        return f"{stripped}/" if stripped else ""


def parse_location(url: str, what: str = "OBSERVABILITY_STORE_URL") -> Location:
    """Split a URL into a Location; SettingsError names `what` for anything else."""
    parsed = urlparse(url)
    if parsed.scheme == "s3":
        if not parsed.netloc:
            raise SettingsError(f"{what}: no bucket in {url!r}")
        return Location("s3", parsed.netloc, parsed.path.lstrip("/"))
    if parsed.scheme == "file":
        return Location("file", "", unquote(parsed.netloc + parsed.path))
    if parsed.scheme == "":
        return Location("file", "", url)
    raise SettingsError(f"{what}: unsupported scheme {parsed.scheme!r} (use file:// or s3://)")


def s3_location(url: str, what: str) -> Location:
    """The Location of an s3:// URL; SettingsError when `what` is given anything else."""
    location = parse_location(url, what)
    if location.scheme != "s3":
        raise SettingsError(f"{what} needs an s3:// store, not {url!r}")
    return location


def s3_uri(bucket: str, key: str) -> str:
    """`s3://bucket/key`: the inverse of `s3_location`, for messages and references."""
    return f"s3://{bucket}/{key.lstrip('/')}"


def open_store(store_url: str, aws: AwsClients | None = None) -> ObjectStore:
    """The store a URL names; an s3:// store needs the process's AWS clients."""
    location = parse_location(store_url)
    if location.scheme == "s3":
        if aws is None:
            raise SettingsError("an s3:// store needs AWS clients")
        return S3Store(aws.s3(), location.bucket, location.path)
    return LocalStore(Path(location.path))
