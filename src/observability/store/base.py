"""The store interface: a flat key space with atomic whole-object writes."""

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
