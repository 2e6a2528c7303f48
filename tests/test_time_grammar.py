"""One time grammar everywhere: every command and route that takes a time, every form.

For each form of the grammar and each place that takes a time, the test writes records on
both sides of the instant the form names and runs the real command or route (click's
runner over the console script, FastAPI's TestClient over the app): what the command keeps,
compacts or computes shows the instant it resolved. An absolute form names one exact
instant. A duration counts back from the command's own clock, so its instant lies in
[t0 - d, t0 - d + MARGIN] where t0 is read just before the data is written.
"""

from __future__ import annotations

import importlib.util
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import orjson
import pytest
from click.testing import CliRunner, Result
from fastapi.testclient import TestClient

from observability.cli import main
from observability.core import keys
from observability.core.partitioning import Partition, parse_prefix
from observability.core.schema import Kind
from observability.core.settings import Settings
from observability.core.times import floor_hour, format_instant
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.files import encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.transform.lines import transform_lines

GLUE_JOB = Path(__file__).resolve().parents[1] / "glue" / "jobs" / "compact.py"

#: Longest time a test may take between reading t0 and the command reading its clock.
MARGIN = timedelta(minutes=2)
#: The other bound when a test pins only one side of a range.
PAST, FUTURE = "2000-01-01", "2199-01-01"
#: Not set: the embedded search and no config file, whatever the test run's environment.
ENV: dict[str, str | None] = {"OBSERVABILITY_OPENSEARCH_URL": None, "OBSERVABILITY_CONFIG": None}
ONE_MS = timedelta(milliseconds=1)


@dataclass(frozen=True)
class Form:
    """One way of writing a time, and the instant it names (or how far back from now)."""

    text: str
    instant: datetime | None = None
    back: timedelta | None = None

    def bounds(self) -> tuple[datetime, datetime]:
        """The earliest and latest instant a command run from now on can resolve it to."""
        if self.instant is not None:
            return self.instant, self.instant
        assert self.back is not None
        t0 = datetime.now(UTC)
        return t0 - self.back, t0 - self.back + MARGIN


FORMS = [
    Form("30m", back=timedelta(minutes=30)),
    Form("6h", back=timedelta(hours=6)),
    Form("2d", back=timedelta(days=2)),
    Form("2026-11-23", datetime(2026, 11, 23, tzinfo=UTC)),
    Form("2026-11-23T13", datetime(2026, 11, 23, 13, tzinfo=UTC)),
    Form("2026-11-23T13:20", datetime(2026, 11, 23, 13, 20, tzinfo=UTC)),
    Form("2026-11-23T13:20:30", datetime(2026, 11, 23, 13, 20, 30, tzinfo=UTC)),
    Form("2026-11-23T13:20:30.250", datetime(2026, 11, 23, 13, 20, 30, 250_000, tzinfo=UTC)),
    Form("2026-11-23T13:20:30.123456Z", datetime(2026, 11, 23, 13, 20, 30, 123_456, tzinfo=UTC)),
    Form("2026-11-23 13:20Z", datetime(2026, 11, 23, 13, 20, tzinfo=UTC)),
    Form("2026-11-23T14:20:30.250+01:00", datetime(2026, 11, 23, 13, 20, 30, 250_000, tzinfo=UTC)),
    Form("2026-11-23T08:20-05:00", datetime(2026, 11, 23, 13, 20, tzinfo=UTC)),
]
BY_FORM = pytest.mark.parametrize("form", FORMS, ids=[form.text for form in FORMS])


def _put(store: LocalStore, kind: Kind, records: Iterable[dict[str, Any]]) -> None:
    """Records through the real transform, one gzip NDJSON file per partition."""
    ingested_at = format_instant(datetime.now(UTC))
    processed = transform_lines([orjson.dumps(r) for r in records], kind, ingested_at)
    assert not processed.rejected, processed.rejected
    grouped: dict[Partition, list[bytes]] = defaultdict(list)
    for accepted in processed.accepted:
        grouped[accepted.partition].append(accepted.line)
    for partition, lines in grouped.items():
        store.put(partition.object_key(new_filename()), encode_ndjson_gz(lines))


def _logs(store: LocalStore, moments: dict[str, datetime]) -> None:
    """One log record per id at its moment, all in one trace of one service."""
    _put(
        store,
        Kind.LOG,
        (
            {
                "kind": "log",
                "record_id": record_id,
                "timestamp": format_instant(moment),
                "service": "checkout",
                "level": "info",
                "event": "probe",
                "trace_id": "probe-trace",
            }
            for record_id, moment in moments.items()
        ),
    )


def _probes(store: LocalStore, form: Form) -> None:
    """`below` just before the earliest instant the form can name, `at` at its latest."""
    low, high = form.bounds()
    _logs(store, {"below": low - ONE_MS, "at": high})


#: Which probe a bound keeps: `since` is inclusive, `until` exclusive.
KEPT = {"since": {"at"}, "until": {"below"}}


def _cli(store: LocalStore, *args: str) -> Result:
    """The console script over the store; a non-zero exit fails the test with its output."""
    result = CliRunner(env=ENV).invoke(main, ["--store-url", store.url, *args])
    assert result.exit_code == 0, (result.output, result.stderr)
    return result


@BY_FORM
@pytest.mark.parametrize("bound", ["since", "until"])
def test_search_command(form: Form, bound: str, store: LocalStore) -> None:
    """`search --since/--until FORM` keeps exactly the probes on the right side."""
    _probes(store, form)
    out = _cli(store, "search", f"--{bound}", form.text, "--format", "json", "--size", "100")
    assert {hit["record_id"] for hit in orjson.loads(out.stdout)["hits"]} == KEPT[bound]


@pytest.fixture
def client(tmp_path: Path, store: LocalStore) -> Iterator[TestClient]:
    """The API role over the test's store, embedded search."""
    settings = Settings.from_env({}, store_url=store.url, state_dir=tmp_path / "state")
    with TestClient(create_app(Runtime(settings, store=store), frozenset({Role.API}))) as http:
        yield http


@BY_FORM
@pytest.mark.parametrize("bound", ["since", "until"])
def test_search_route(form: Form, bound: str, store: LocalStore, client: TestClient) -> None:
    """`GET /api/v1/search?since|until=FORM` keeps exactly the probes on the right side."""
    _probes(store, form)
    response = client.get("/api/v1/search", params={bound: form.text, "size": 100})
    assert response.status_code == 200, response.text
    assert {hit["record_id"] for hit in response.json()["hits"]} == KEPT[bound]


@BY_FORM
@pytest.mark.parametrize(
    ("bound", "spelling"),
    [
        ("since", ["--since", "{}", "--until", FUTURE]),
        ("since", ["--param", "since={}", "--param", f"until={FUTURE}"]),
        ("since", ["--param", "start={}", "--end", FUTURE]),
        ("until", ["--since", PAST, "--until", "{}"]),
        ("until", ["--param", f"since={PAST}", "--param", "until={}"]),
        ("until", ["--start", PAST, "--param", "end={}"]),
    ],
    ids=["--since", "param-since", "param-start", "--until", "param-until", "param-end"],
)
def test_named_query(form: Form, bound: str, spelling: list[str], store: LocalStore) -> None:
    """`query --named trace` with the bound given as an option or a parameter, every name."""
    _probes(store, form)
    window = [part.format(form.text) for part in spelling]
    out = _cli(
        store,
        *("query", "--named", "trace", "--param", "trace_id=probe-trace", *window),
        *("--format", "json"),
    )
    assert {row["record_id"] for row in orjson.loads(out.stdout)} == KEPT[bound]


def _hours_with_logs(store: LocalStore, hours: Iterable[datetime]) -> None:
    _logs(store, {f"h{n}": hour for n, hour in enumerate(sorted(set(hours)))})


def _compacted_hours(store: LocalStore) -> set[datetime]:
    found = set()
    for key in store.list("compacted/"):
        partition = parse_prefix(key.rpartition("/")[0] + "/")
        found.add(datetime.fromisoformat(f"{partition.dt}T{partition.hour}:00+00:00"))
    return found


@BY_FORM
def test_compact_since(form: Form, store: LocalStore) -> None:
    """`compact --since FORM` compacts the hour holding the instant and later, not before."""
    low, high = form.bounds()
    before, holding = floor_hour(low) - timedelta(hours=1), floor_hour(high)
    _hours_with_logs(store, [before, holding])
    _cli(store, "compact", "--kind", "logs", "--since", form.text)
    assert _compacted_hours(store) == {holding}


@BY_FORM
def test_compact_hour(form: Form, store: LocalStore) -> None:
    """`compact --hour FORM` compacts only the hour holding the instant."""
    low, high = form.bounds()
    hour = timedelta(hours=1)
    candidates = {floor_hour(low), floor_hour(high)}
    _hours_with_logs(store, [floor_hour(low) - hour, *candidates, floor_hour(high) + hour])
    _cli(store, "compact", "--kind", "logs", "--hour", form.text)
    compacted = _compacted_hours(store)
    assert len(compacted) == 1 and compacted <= candidates
    if form.instant is not None:
        assert compacted == {floor_hour(form.instant)}


@pytest.fixture(scope="module")
def glue_job() -> ModuleType:
    """The Glue job script (a file, not a module of the package), loaded as Glue runs it."""
    spec = importlib.util.spec_from_file_location("glue_compact_job_times", GLUE_JOB)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while decorating
    spec.loader.exec_module(module)
    return module


@BY_FORM
@pytest.mark.parametrize("option", ["--since", "--hour"])
def test_glue_compaction_job(
    form: Form, option: str, store: LocalStore, glue_job: ModuleType
) -> None:
    """The Glue job's --since/--hour resolve to the hour holding the same instant."""
    low, high = form.bounds()
    args = glue_job.parse_args(["compact.py", "--store_url", store.url, option, form.text])
    assert floor_hour(low) <= args.start <= floor_hour(high)
    assert args.end == (args.start if option == "--hour" else None)


MODELS = """
models:
  - name: gen
    task: classification
    features: {{num_0: numeric, num_1: numeric, colour: categorical}}
    reference: {{path: {reference}}}
    window: 1h
    schedule: "5 * * * *"
    min_samples: 50
"""


@pytest.fixture
def models_file(tmp_path: Path) -> Path:
    """A models file for one model `gen` and its reference rows."""
    from tests.analyze.generated import frame

    reference = tmp_path / "reference.csv"
    frame(np.random.default_rng(3), 200, shifted=False).to_csv(reference, index=False)
    path = tmp_path / "models.yaml"
    path.write_text(MODELS.format(reference=reference))
    return path


def _runs(store: LocalStore) -> dict[datetime, Any]:
    """The stored run record of every window of `gen`, by window start."""
    from observability.analyze.job import RunRecord

    found = {}
    for key in store.list(keys.drift_runs_prefix("gen")):
        if key.endswith(".json"):
            record = RunRecord.from_json(store.get(key))
            found[record.window_start] = record
    return found


def _drift_run(store: LocalStore, models: Path, start: str, end: str) -> None:
    _cli(
        store,
        "drift",
        "run",
        "--model",
        "gen",
        "--window",
        f"{start}/{end}",
        "--models",
        str(models),
    )


@BY_FORM
@pytest.mark.parametrize("side", ["start", "end"])
def test_drift_run_window(form: Form, side: str, store: LocalStore, models_file: Path) -> None:
    """`drift run --window FORM/...` and `.../FORM` store a run for that very window bound."""
    low, high = form.bounds()
    if side == "start":
        _drift_run(store, models_file, form.text, format_instant(high + timedelta(hours=1)))
    else:
        _drift_run(store, models_file, format_instant(low - timedelta(hours=1)), form.text)
    (record,) = _runs(store).values()
    resolved = record.window_start if side == "start" else record.window_end
    assert low <= resolved <= high


@BY_FORM
def test_drift_backfill_since(form: Form, store: LocalStore, models_file: Path) -> None:
    """`drift backfill --since FORM` re-runs the window starting at it, not the one just before."""
    from tests.analyze.generated import frame, write_labels, write_predictions

    low, high = form.bounds()
    early, late = low - ONE_MS, high
    ids = write_predictions(
        store, "gen", high + timedelta(seconds=1), frame(np.random.default_rng(5), 3, False), "p"
    )
    for start in (early, late):
        _drift_run(
            store, models_file, format_instant(start), format_instant(start + timedelta(hours=1))
        )
    before = {start: record.ran_at for start, record in _runs(store).items()}
    assert set(before) == {early, late}
    write_labels(store, "gen", high + timedelta(seconds=10), dict.fromkeys(ids, 1))
    _cli(store, "drift", "backfill", "--since", form.text, "--models", str(models_file))
    after = {start: record.ran_at for start, record in _runs(store).items()}
    assert after[early] == before[early]
    assert after[late] > before[late]
