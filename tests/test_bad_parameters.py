"""Bad time and filter parameters: a 4xx with a message over HTTP, one `error:` line on the CLI.

The cases of issue 9 (points 1 and 11): values past the time grammar's bounds or its
overflow points, a NUL or a path in a filter, a phrase too long to compile. None may answer
500, print a traceback, or list anything outside the store.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient

from observability.cli import main
from observability.core.settings import Settings
from observability.query.duckdb import DuckDBEngine
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.local import LocalStore
from tests.search.data import records, write

ENV: dict[str, str | None] = {"OBSERVABILITY_OPENSEARCH_URL": None, "OBSERVABILITY_CONFIG": None}
PHRASE_300 = '"' + " ".join(["a"] * 300) + '"'
TRAVERSAL = "good/../../../../../../../usr"


@pytest.fixture
def client(tmp_path: Path, store: LocalStore) -> Iterator[TestClient]:
    """The API role over a store holding the search fixture, embedded search."""
    write(store, records())
    settings = Settings.from_env({}, store_url=store.url, state_dir=tmp_path / "state")
    with TestClient(create_app(Runtime(settings, store=store), frozenset({Role.API}))) as http:
        yield http


@pytest.mark.parametrize(
    ("params", "detail"),
    [
        ({"since": "99999999999d"}, "since: bad time '99999999999d'"),
        ({"since": "0001-01-01T00:00:00+14:00"}, "out of range"),
        ({"until": "9999-12-31T23:59:59-05:00"}, "until: bad time"),
        ({"since": "2026-W47-1T13:00:00Z"}, "since: bad time"),
        ({"since": "1h", "until": "2h"}, "since must be before until"),
        ({"interval": "99999999999999999999w"}, "interval: bad duration"),
        ({"interval": "0s"}, "interval: bad duration"),
        ({"service": "a\x00b"}, "bad service"),
        ({"service": TRAVERSAL}, "bad service"),
        ({"model": "../../etc"}, "bad model"),
        ({"q": PHRASE_300}, "at most 32 words"),
    ],
    ids=[
        "huge-duration",
        "year-1-plus-14h",
        "year-9999-minus-5h",
        "iso-week",
        "reversed",
        "huge-interval",
        "zero-interval",
        "nul-service",
        "path-service",
        "path-model",
        "300-word-phrase",
    ],
)
def test_bad_search_parameters_are_400_with_a_message(
    client: TestClient, params: dict[str, str], detail: str
) -> None:
    """Each bad parameter of GET /api/v1/search is a 400 problem naming what was wrong."""
    response = client.get("/api/v1/search", params=params)
    assert response.status_code == 400, response.text
    body = response.json()
    assert detail in body["detail"]
    assert "\n" not in body["detail"]


def test_a_path_in_the_service_filter_is_refused_before_any_listing(
    client: TestClient, store: LocalStore
) -> None:
    """`service=good/../../usr` is a fast 400: the filter never becomes a listed path."""
    started = time.monotonic()
    response = client.get("/api/v1/search", params={"service": TRAVERSAL, "q": "timeout"})
    assert response.status_code == 400
    assert time.monotonic() - started < 1.0
    assert client.get("/api/v1/search", params={"service": "checkout"}).status_code == 200


def test_a_pinned_path_in_sql_lists_nothing_outside_the_store(store: LocalStore) -> None:
    """Ad-hoc SQL pinning `service` to a path finds no rows and reads no file outside."""
    write(store, records())
    engine = DuckDBEngine(store)
    try:
        sql = "SELECT count(*) FROM logs WHERE service = :service"
        started = time.monotonic()
        assert engine.execute(sql, {"service": TRAVERSAL}).rows == [(0,)]
        assert time.monotonic() - started < 5.0
        assert engine.execute(sql, {"service": "checkout"}).rows[0][0] > 0
    finally:
        engine.close()


def _cli(store: LocalStore, *args: str) -> tuple[int, str]:
    result = CliRunner(env=ENV).invoke(main, ["--store-url", store.url, *args])
    return result.exit_code, result.stderr


@pytest.mark.parametrize(
    ("args", "status", "message"),
    [
        (("compact", "--since", "99999999999d"), 2, "Invalid value for '--since'"),
        (("compact", "--hour", "0001-01-01T00:00:00+14:00"), 2, "Invalid value for '--hour'"),
        (("drift", "backfill", "--since", "99999999999d"), 2, "Invalid value for '--since'"),
        (("drift", "run", "--model", "m", "--window", "99999999999d/1h"), 2, "'--window'"),
        (("drift", "run", "--model", "m", "--window", "2h"), 2, "expected START/END"),
        (("query", "--named", "error-rate", "--since", "99999999999d"), 2, "'--since'"),
        (("query", "--named", "error-rate", "--until", "9999-12-31T23:59:59-05:00"), 2, "until"),
        (("query", "--named", "error-rate", "--param", "since=99999999999d"), 1, "since"),
        (("query", "--named", "error-rate", "--param", f"service={TRAVERSAL}"), 1, "service"),
        (("search", "--since", "99999999999d"), 2, "Invalid value for '--since'"),
        (("search", "--until", "2026-W47-1"), 2, "Invalid value for '--until'"),
        (("search", "--interval", "99999999999999999999w"), 1, "interval: bad duration"),
        (("search", "--service", "a\x00b"), 1, "bad service"),
        (("search", PHRASE_300), 1, "at most 32 words"),
    ],
)
def test_bad_cli_values_are_one_error_line(
    store: LocalStore, args: tuple[str, ...], status: int, message: str
) -> None:
    """Every command with a bad time or filter prints one `error:` line, never a traceback."""
    code, stderr = _cli(store, *args)
    assert code == status, stderr
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: ")
    assert message in lines[0]
    assert "Traceback" not in stderr
