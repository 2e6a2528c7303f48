"""One real collector for the shutdown tests; each test logs under its own service name."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.shutdown.support import Collector, collector


@pytest.fixture(scope="session")
def real_collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Collector]:
    """`observability serve --role collector` on 127.0.0.1, storing under a temp dir."""
    with collector(tmp_path_factory.mktemp("collector")) as running:
        yield running
