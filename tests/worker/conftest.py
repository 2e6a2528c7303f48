"""Worker fixtures: a clock that moves only when told, and stores of both kinds."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from observability.core.aws import AwsClients
from observability.store.base import ObjectStore
from observability.store.local import LocalStore
from observability.store.s3 import S3Store

BUCKET = "worker-test"


class FakeClock:
    """Time moves when a test advances it, or when the worker waits (no sleeping)."""

    def __init__(self, start: datetime, limit: datetime | None = None) -> None:
        self.current = start
        self.limit = limit

    def now(self) -> datetime:
        return self.current

    def advance(self, delta: timedelta) -> datetime:
        self.current += delta
        return self.current

    def wait(self, stop: threading.Event, seconds: float) -> bool:
        self.current += timedelta(seconds=seconds)
        if self.limit is not None and self.current >= self.limit:
            stop.set()
        return stop.is_set()


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.aws)])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    """Each test runs against the local directory and S3 on the moto server."""
    if request.param == "local":
        yield LocalStore(tmp_path / "root", fsync=False)
        return
    aws: AwsClients = request.getfixturevalue("aws")
    aws.s3().create_bucket(Bucket=BUCKET)
    yield S3Store(aws.s3(), BUCKET, "env/prod")
