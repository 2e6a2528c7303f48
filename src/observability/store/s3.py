"""The S3 backend: a single PutObject is atomic, so no temporary keys are needed.

Conditional writes use S3's own preconditions (`If-None-Match: *`, `If-Match: <etag>` on
PutObject and DeleteObject), which S3 evaluates atomically with the write. A refused
precondition is an answer, not an error: 412 (the object exists, or its ETag changed),
404 `NoSuchKey` (gone) and 409 (another conditional write to the key is in flight) return
None/False.
moto 5.2 honours both headers on PutObject and DeleteObject, but its threaded server
checks and writes without one lock, so two requests at the same instant can both pass
there; S3 itself serialises them.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Final

from botocore.exceptions import ClientError

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


#: Error codes of a conditional request that mean "the condition does not hold" (a missing
#: bucket or a denied request stays an error).
_REFUSED: Final = frozenset(
    {"PreconditionFailed", "412", "ConditionalRequestConflict", "NoSuchKey", "404"}
)


def _refused(exc: ClientError) -> bool:
    """Whether a ClientError is S3 refusing a precondition (rather than a real failure)."""
    return exc.response.get("Error", {}).get("Code", "") in _REFUSED


class S3Store:
    """Keys live under `s3://bucket/prefix/`; the client is injected."""

    def __init__(self, client: S3Client, bucket: str, prefix: str = "") -> None:
        self._client = client
        self.bucket = bucket
        self.prefix = prefix.strip("/") + "/" if prefix.strip("/") else ""

    @property
    def url(self) -> str:
        """`s3://bucket/prefix`."""
        return f"s3://{self.bucket}/{self.prefix}"

    def put(self, key: str, data: bytes) -> None:
        """One PutObject."""
        self._client.put_object(Bucket=self.bucket, Key=self.prefix + key, Body=data)

    def get(self, key: str) -> bytes:
        """One GetObject; KeyError when absent."""
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise KeyError(key) from None
            raise
        return response["Body"].read()

    def tag(self, key: str, tags: Mapping[str, str]) -> None:
        """PutObjectTagging (it replaces the object's tag set): lifecycle rules act on tags."""
        self._client.put_object_tagging(
            Bucket=self.bucket,
            Key=self.prefix + key,
            Tagging={"TagSet": [{"Key": k, "Value": v} for k, v in sorted(tags.items())]},
        )

    def list(self, prefix: str = "") -> Iterator[str]:
        """Paginated ListObjectsV2, keys relative to the store prefix."""
        paginator = self._client.get_paginator("list_objects_v2")
        for page in paginator.paginate(Bucket=self.bucket, Prefix=self.prefix + prefix):
            for item in page.get("Contents", []):
                yield item["Key"][len(self.prefix) :]

    def delete(self, key: str) -> None:
        """DeleteObject (idempotent on S3)."""
        self._client.delete_object(Bucket=self.bucket, Key=self.prefix + key)

    def exists(self, key: str) -> bool:
        """HeadObject."""
        try:
            self._client.head_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("404", "NoSuchKey", "NotFound"):
                return False
            raise
        return True

    def get_versioned(self, key: str) -> tuple[bytes, str]:
        """One GetObject: the body and the ETag of that very version."""
        try:
            response = self._client.get_object(Bucket=self.bucket, Key=self.prefix + key)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in ("NoSuchKey", "404"):
                raise KeyError(key) from None
            raise
        return response["Body"].read(), response["ETag"]

    def put_if_absent(self, key: str, data: bytes) -> str | None:
        """PutObject with `If-None-Match: *`."""
        try:
            response = self._client.put_object(
                Bucket=self.bucket, Key=self.prefix + key, Body=data, IfNoneMatch="*"
            )
        except ClientError as exc:
            if _refused(exc):
                return None
            raise
        return response["ETag"]

    def put_if_match(self, key: str, data: bytes, etag: str) -> str | None:
        """PutObject with `If-Match: <etag>`."""
        try:
            response = self._client.put_object(
                Bucket=self.bucket, Key=self.prefix + key, Body=data, IfMatch=etag
            )
        except ClientError as exc:
            if _refused(exc):
                return None
            raise
        return response["ETag"]

    def delete_if_match(self, key: str, etag: str) -> bool:
        """DeleteObject with `If-Match: <etag>`."""
        try:
            self._client.delete_object(Bucket=self.bucket, Key=self.prefix + key, IfMatch=etag)
        except ClientError as exc:
            if _refused(exc):
                return False
            raise
        return True
