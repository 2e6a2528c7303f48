"""One real collector process for the hostile suite, and the per-case invariant checks."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.hostile.harness import CollectorProcess, Hostile


@pytest.fixture(scope="session")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    """`observability serve` on a temporary store, shared by the suite's cases."""
    root = tmp_path_factory.mktemp("hostile")
    (root / "outside").mkdir()
    (root / "outside" / "keep.txt").write_text("a file no request may touch\n")
    process = CollectorProcess(root)
    process.start()
    yield process
    process.stop()


@pytest.fixture
def hostile(collector: CollectorProcess) -> Iterator[Hostile]:
    """A case: the suite's invariants are checked when it ends (see `harness`)."""
    case = Hostile(collector)
    case.begin()
    yield case
    case.end()
