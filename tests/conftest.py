"""Shared fixtures: a moto server per session, fresh stores, settings and metrics per test."""

from __future__ import annotations

import urllib.request
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from prometheus_client import CollectorRegistry

from observability.core.aws import AwsClients
from observability.core.metrics import Metrics
from observability.core.settings import Settings
from observability.store.local import LocalStore
from tests.servers import moto_server


@pytest.fixture(scope="session")
def moto_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """Endpoint of a moto server started for this test session."""
    with moto_server(tmp_path_factory.mktemp("moto")) as url:
        yield url


@pytest.fixture
def aws_settings(moto_url: str, tmp_path: Path) -> Settings:
    """Settings pointing every AWS client at the moto server; state under tmp_path."""
    _reset_moto(moto_url)
    return Settings.from_env(
        {},
        aws_endpoint_url=moto_url,
        aws_region="us-east-1",
        state_dir=tmp_path / "state",
    )


@pytest.fixture
def aws(aws_settings: Settings) -> AwsClients:
    """AWS clients with dummy credentials, talking to moto."""
    session = boto3.Session(
        aws_access_key_id="testing",
        aws_secret_access_key="testing",  # noqa: S106 (moto's dummy credentials)
        region_name=aws_settings.aws_region,
    )
    return AwsClients(aws_settings, session)


@pytest.fixture
def metrics() -> Metrics:
    """Metrics in a fresh registry, so samples belong to this test only."""
    return Metrics(CollectorRegistry())


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    """An empty local store."""
    return LocalStore(tmp_path / "store", fsync=False)


def _reset_moto(url: str) -> None:
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")  # noqa: S310
    with urllib.request.urlopen(request, timeout=10):  # noqa: S310 (loopback URL we built)
        pass
