"""The store interface: a flat key space with atomic whole-object writes.

Conditional writes (`put_if_absent`, `put_if_match`, `delete_if_match`) are what leases
are built on: S3's `If-None-Match: *` and `If-Match: <etag>`, and on a local directory an
exclusive link and a compare-and-swap under a lock, both atomic across processes. An ETag
is opaque: compare it only with another ETag of the same store.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Protocol


class ObjectStore(Protocol):
    """S3 and a local directory behind the same keys; readers never see half an object."""

    @property
    def url(self) -> str:
        """Where the store is, for messages (`file:///…` or `s3://bucket/prefix`)."""
        ...

    def put(self, key: str, data: bytes) -> None:
        """Write an object atomically, replacing any object at that key."""
        ...

    def get(self, key: str) -> bytes:
        """Read a whole object; raises KeyError when it does not exist."""
        ...

    def list(self, prefix: str = "") -> Iterator[str]:
        """Keys under a prefix, in lexical order."""
        ...

    def delete(self, key: str) -> None:
        """Remove an object; a missing key is not an error."""
        ...

    def exists(self, key: str) -> bool:
        """Whether an object is at `key`."""
        ...

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        """Read a whole object and its ETag together; KeyError when it does not exist."""
        ...

    def put_if_absent(self, key: str, data: bytes) -> str | None:
        """Create an object only if none is at `key`: its ETag, or None when one exists."""
        ...

    def put_if_match(self, key: str, data: bytes, etag: str) -> str | None:
        """Replace the object only if its ETag is still `etag`: the new ETag, or None when it
        changed or is gone."""
        ...

    def delete_if_match(self, key: str, etag: str) -> bool:
        """Remove the object only if its ETag is still `etag`; False when it changed or is gone."""
        ...
