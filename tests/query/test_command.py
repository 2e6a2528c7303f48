"""`observability query`: ad-hoc and named queries end to end, in every output format."""

from __future__ import annotations

import csv
import io
import json

import pytest
from click.testing import CliRunner, Result

from observability.cli import main
from observability.commands.query import query
from tests.query.conftest import DAY, Dataset

main.add_command(query)
WINDOW = ["--start", f"{DAY}T00:00:00Z", "--end", f"{DAY}T23:59:59Z"]


def invoke(dataset: Dataset, *args: str) -> Result:
    """Run the CLI in process against the data set's store."""
    return CliRunner().invoke(main, ["--store-url", str(dataset.store.root), "query", *args])


def test_named_query_as_json_is_one_array(dataset: Dataset) -> None:
    """`--named error-rate --service checkout --format json` prints one JSON array of rows."""
    result = invoke(
        dataset, "--named", "error-rate", "--service", "checkout", *WINDOW, "--format", "json"
    )
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert isinstance(rows, list)
    assert sum(row["records"] for row in rows) == 101
    assert rows[0]["service"] == "checkout"


def test_ad_hoc_sql_as_csv_with_bound_parameter(dataset: Dataset) -> None:
    """Ad-hoc SQL with `--param` prints CSV with a header row."""
    result = invoke(
        dataset,
        "SELECT service, count(*) AS n FROM logs WHERE service = :s GROUP BY service",
        "--param",
        "s=search",
        "--format",
        "csv",
    )
    assert result.exit_code == 0, result.output
    assert list(csv.reader(io.StringIO(result.stdout))) == [["service", "n"], ["search", "100"]]


def test_table_output_names_rows_and_engine(dataset: Dataset) -> None:
    """The default table ends with the row count and the engine."""
    result = invoke(dataset, "--named", "latency-percentiles", *WINDOW)
    assert result.exit_code == 0, result.output
    assert "checkout" in result.stdout
    assert "2 row(s)" in result.stdout
    assert "duckdb" in result.stdout


@pytest.mark.parametrize(
    ("sql", "message"),
    [
        ("SELECT * FROM logs WHERE", "line 1, column 24"),
        ("DELETE FROM logs", "only SELECT"),
    ],
)
def test_bad_sql_is_one_line_with_the_position(dataset: Dataset, sql: str, message: str) -> None:
    """Bad SQL exits 1 with one `error:` line naming the problem, no traceback."""
    result = invoke(dataset, sql)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: ")
    assert message in lines[0]


def test_sql_and_named_are_exclusive(dataset: Dataset) -> None:
    """Giving both SQL and --named (or neither) is a usage error."""
    assert invoke(dataset, "SELECT 1", "--named", "trace").exit_code == 2
    assert invoke(dataset).exit_code == 2
