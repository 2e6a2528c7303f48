"""A LocalStore holding the fixture logs, and the embedded search over it."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from observability.query.duckdb import DuckDBEngine
from observability.search.embedded import EmbeddedSearch
from observability.store.local import LocalStore
from tests.search.data import records, write


@pytest.fixture
def fixture_records() -> list[dict[str, Any]]:
    """The fixture's log records, as sent."""
    return records()


@pytest.fixture
def logs_store(store: LocalStore, fixture_records: list[dict[str, Any]]) -> LocalStore:
    """The test's LocalStore with the fixture written through the real transform."""
    write(store, fixture_records)
    return store


@pytest.fixture
def embedded(logs_store: LocalStore) -> Iterator[EmbeddedSearch]:
    """The embedded search over the fixture store (DuckDB)."""
    search = EmbeddedSearch(DuckDBEngine(logs_store))
    yield search
    search.close()
