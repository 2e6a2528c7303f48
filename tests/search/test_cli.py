"""`observability search QUERY` through the console script's own group and error handling."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta
from typing import Any

import click
import orjson
import pytest
from click.testing import CliRunner

from observability.cli import main
from observability.commands.search import search as search_group
from observability.commands.search_query import SearchGroup, search_query
from observability.search.request import SearchRequest
from observability.store.local import LocalStore
from tests.search.data import write
from tests.search.oracle import expected_ids

#: Not set: the embedded backend, whatever the environment of the test run says.
ENV: dict[str, str | None] = {"OBSERVABILITY_OPENSEARCH_URL": None, "OBSERVABILITY_CONFIG": None}


@pytest.fixture
def cli() -> click.Group:
    """The console script's group with `search` as the lead will register it."""
    group = SearchGroup("search", help=search_group.help)
    group.add_command(search_group.commands["setup"])
    group.add_command(search_query)
    # type(main) is the console script's group class: one `error: ...` line per failure.
    return type(main)(
        name="observability",
        params=main.params,
        callback=main.callback,
        commands={**main.commands, "search": group},
    )


def _run(cli: click.Group, store: LocalStore, *args: str) -> Any:
    return CliRunner(env=ENV).invoke(cli, ["--store-url", store.url, "search", *args])


def test_the_issue_example_finds_the_recent_matches(cli: click.Group, store: LocalStore) -> None:
    """`search "timeout AND service:checkout" --since 1h` prints only the last hour's hits."""
    now = datetime.now(UTC)
    recent, old = (
        (now - timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ") for minutes in (10, 90)
    )
    rows = [
        {
            "record_id": "new",
            "timestamp": recent,
            "event": "upstream timeout",
            "service": "checkout",
        },
        {"record_id": "old", "timestamp": old, "event": "upstream timeout", "service": "checkout"},
        {
            "record_id": "other",
            "timestamp": recent,
            "event": "upstream timeout",
            "service": "search",
        },
    ]
    write(store, [{"kind": "log", "level": "error", **row} for row in rows])
    result = _run(cli, store, "timeout AND service:checkout", "--since", "1h", "--format", "json")
    assert result.exit_code == 0, result.output
    body = orjson.loads(result.output)
    assert [hit["record_id"] for hit in body["hits"]] == ["new"]
    assert (body["total"], body["backend"]) == (1, "embedded")


def test_csv_and_table_outputs(
    cli: click.Group, logs_store: LocalStore, fixture_records: list[dict[str, Any]]
) -> None:
    """CSV has a header and one row per hit; the table ends with the hit count."""
    args = ("timeout", "--level", "error", "--level", "critical", "--size", "2")
    expected = expected_ids(
        SearchRequest.build("timeout", levels=("error", "critical")), fixture_records
    )
    as_csv = _run(cli, logs_store, *args, "--format", "csv")
    assert as_csv.exit_code == 0, as_csv.output
    rows = list(csv.DictReader(io.StringIO(as_csv.output)))
    assert [row["record_id"] for row in rows] == expected[:2]
    as_table = _run(cli, logs_store, *args)
    assert as_table.exit_code == 0, as_table.output
    assert f"2 of {len(expected)} hits on embedded" in as_table.output
    assert "next page: --search-after" in as_table.output


def test_explicit_query_subcommand_and_setup_still_resolve(
    cli: click.Group, logs_store: LocalStore
) -> None:
    """`search query ...` is the explicit spelling; `search setup --help` is still setup."""
    explicit = _run(cli, logs_store, "query", "service:payments", "--format", "json")
    assert orjson.loads(explicit.output)["total"] == 20  # 18 + the r901 twin + r910? no: see data
    setup_help = _run(cli, logs_store, "setup", "--help")
    assert "--retention-days" in setup_help.output


def test_a_refused_query_is_one_error_line(cli: click.Group, logs_store: LocalStore) -> None:
    """A bad query exits 1 with the parser's message on one line."""
    result = _run(cli, logs_store, "*timeout")
    assert result.exit_code == 1
    assert result.output.strip().splitlines() == [
        "error: leading wildcards are not allowed, only a trailing * (at character 1)"
    ]
