"""Storage keys come from `core/keys.py` alone; report ids are unique, stable and strict."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observability.core import keys
from observability.core.partitioning import Partition
from observability.core.schema import Kind

REPO = Path(__file__).resolve().parents[2]
SCANNED = ("src", "lambdas", "glue/jobs")
KEYS_MODULE = REPO / "src" / "observability" / "core" / "keys.py"
#: A Hive segment being formatted (`model={m}`) or a kind's root (`{kind.plural}/`).
_SEGMENT_RE = re.compile(r"\b(?:service|model|dt|hour|job)=(?:\{|!\{)|\.plural\}/")
#: A root at the start of a literal or right after a `{prefix}` (a key, not prose or a URL).
_ROOT_RE = re.compile(
    r"(?:^|\})(?:" + "|".join(re.escape(root) for root in keys.ROOTS) + r")(?!\s)"
)

NAMES = st.from_regex(r"[A-Za-z0-9][A-Za-z0-9._-]{0,40}", fullmatch=True)
INSTANTS = st.datetimes(
    min_value=datetime(1970, 1, 1), max_value=datetime(2199, 12, 30), timezones=st.just(UTC)
)
START = datetime(2026, 12, 1, tzinfo=UTC)


def _docstrings(tree: ast.AST) -> set[int]:
    """ids of the string constants that are docstrings."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def _strings(tree: ast.AST) -> list[tuple[int, str]]:
    """(line, text) of every string literal, f-strings with `{expression}` in place."""
    skip = _docstrings(tree)
    inner = {id(v) for n in ast.walk(tree) if isinstance(n, ast.JoinedStr) for v in n.values}
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.JoinedStr):
            text = "".join(
                str(v.value) if isinstance(v, ast.Constant) else "{" + ast.unparse(v.value) + "}"  # type: ignore[attr-defined]
                for v in node.values
            )
            found.append((node.lineno, text))
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in skip | inner
        ):
            found.append((node.lineno, node.value))
    return found


def _offenders() -> list[str]:
    offenders = []
    for folder in SCANNED:
        for path in sorted((REPO / folder).rglob("*.py")):
            if path == KEYS_MODULE:
                continue
            tree = ast.parse(path.read_text(), str(path))
            for line, text in _strings(tree):
                if _ROOT_RE.search(text) or _SEGMENT_RE.search(text):
                    offenders.append(f"{path.relative_to(REPO)}:{line}: {text!r:.100}")
    return offenders


def test_roots_list_every_top_level_prefix() -> None:
    """ROOTS names each documented prefix once, every one a relative folder."""
    assert set(keys.ROOTS) == {
        "logs/",
        "predictions/",
        "labels/",
        "compacted/",
        "errors/",
        "reports/",
        "metrics/drift/",
        "drift_runs/",
        "sketches/",
        "alerts/",
        "leases/",
        "job_runs/",
        "_probe/",
        "auth/",
        "athena-results/",
    }
    assert len(keys.ROOTS) == len(set(keys.ROOTS))


def test_scanner_sees_a_formatted_key() -> None:
    """The scan flags roots and Hive segments in literals and f-strings, not in docstrings."""
    source = (
        '"""Keys under reports/ and model={m}."""\n'
        'a = f"compacted/{prefix}"\n'
        'b = f"{PREFIX}model={model}/"\n'
        'c = "fine text"\n'
        'd = f"{kind.plural}/x"\n'
    )
    flagged = [
        line
        for line, text in _strings(ast.parse(source))
        if _ROOT_RE.search(text) or _SEGMENT_RE.search(text)
    ]
    assert flagged == [2, 3, 5]


def test_no_other_module_formats_a_key() -> None:
    """No module of src/, lambdas/ or glue/jobs/ but keys.py writes a storage prefix."""
    assert _offenders() == []


def test_data_keys_follow_the_partition() -> None:
    """Data, compacted and error keys have the documented Hive layout."""
    hour = Partition(Kind.PREDICTION, "fraud", "2026-12-01", "07")
    day = Partition(Kind.LABEL, "fraud", "2026-12-01", None)
    assert (
        keys.data_key(hour, "f.json.gz")
        == "predictions/model=fraud/dt=2026-12-01/hour=07/f.json.gz"
    )
    assert keys.partition_prefix(day) == "labels/model=fraud/dt=2026-12-01/"
    assert keys.compacted_key(hour, "p.parquet").startswith("compacted/predictions/model=fraud/")
    assert keys.error_key("ingest", "wrong_type", "2026-12-01", "e.json.gz") == (
        "errors/ingest/wrong_type/dt=2026-12-01/e.json.gz"
    )


def test_drift_keys_derive_from_the_report_id() -> None:
    """Report, metrics and run keys need only the report id (the API serves /reports/{id})."""
    report = keys.report_id("fraud", START, START + timedelta(hours=1))
    assert report == "fraud~20261201T0000_20261201T0100"
    assert keys.report_key(report, ".quality.html") == (
        f"reports/model=fraud/dt=2026-12-01/{report}.quality.html"
    )
    assert (
        keys.drift_metrics_key(report)
        == f"metrics/drift/model=fraud/dt=2026-12-01/{report}.parquet"
    )
    assert keys.drift_run_key("fraud", report) == f"drift_runs/model=fraud/{report}.json"
    assert keys.drift_done_key("fraud", report) == f"drift_runs/model=fraud/{report}.done"
    with pytest.raises(ValueError, match="belongs to model 'fraud'"):
        keys.drift_done_key("price", report)


def test_worker_and_alert_keys() -> None:
    """Lease, job-run, alert and probe keys have their documented prefixes."""
    assert keys.job_run_key("drift", datetime(2026, 12, 1, 23, tzinfo=UTC), "r1") == (
        "job_runs/job=drift/dt=2026-12-01/r1.parquet"
    )
    assert keys.job_runs_prefix("drift") == "job_runs/job=drift/"
    assert keys.alert_state_key("ab12") == "alerts/state/ab12.json"
    assert (
        keys.alert_history_key("drift", "2026-12-01", "h.parquet")
        == "alerts/history/rule=drift/dt=2026-12-01/h.parquet"
    )
    assert keys.silence_key("s1") == "alerts/silences/s1.json"
    assert keys.probe_key("readyz-1") == "_probe/readyz-1"
    with pytest.raises(ValueError, match="a job"):
        keys.job_run_key("../etc", START, "r1")


@given(job=NAMES, target=st.text(min_size=1, max_size=60))
def test_lease_target_round_trips(job: str, target: str) -> None:
    """Any target, '/' included, is one safe file name under leases/<job>/, and reversible;
    one whose encoding would not fit a file name is refused, never truncated."""
    if len(quote(target, safe="").encode()) > keys.MAX_TARGET_BYTES:
        with pytest.raises(ValueError, match="lease target"):
            keys.lease_key(job, target)
        return
    key = keys.lease_key(job, target)
    name = key.removeprefix(f"leases/{job}/")
    assert "/" not in name
    assert keys.lease_target(key) == (job, target)


@given(
    model=NAMES,
    start=INSTANTS,
    length=st.timedeltas(min_value=timedelta(microseconds=1), max_value=timedelta(days=400)),
)
def test_report_id_round_trips(model: str, start: datetime, length: timedelta) -> None:
    """parse_report_id inverts report_id to the microsecond, and the id is URL-safe."""
    end = start + length
    if end >= datetime(2200, 1, 1, tzinfo=UTC):
        return
    report = keys.report_id(model, start, end)
    assert keys.parse_report_id(report) == (model, start, end)
    assert re.fullmatch(r"[A-Za-z0-9._~-]+", report)


@given(first=NAMES, second=NAMES, start=INSTANTS)
def test_report_ids_are_unique_across_models(first: str, second: str, start: datetime) -> None:
    """Two models' reports of the same window have different ids (and keys)."""
    end = start + timedelta(hours=1)
    if first == second or end >= datetime(2200, 1, 1, tzinfo=UTC):
        return
    a, b = keys.report_id(first, start, end), keys.report_id(second, start, end)
    assert a != b
    assert keys.report_key(a) != keys.report_key(b)


def test_report_id_is_stable_across_offsets() -> None:
    """The same instants written in another zone give the same id."""
    zone = timezone(timedelta(hours=2))
    end = START + timedelta(days=1)
    assert keys.report_id("m", START.astimezone(zone), end.astimezone(zone)) == keys.report_id(
        "m", START, end
    )


@pytest.mark.parametrize(
    "bad",
    [
        "",
        "fraud",
        "fraud~",
        "fraud~20261201T0000",
        "fraud~20261201T0000_",
        "~20261201T0000_20261201T0100",
        "fr/aud~20261201T0000_20261201T0100",
        "fraud~20261201T0100_20261201T0000",  # ends before it starts
        "fraud~20261201T0000_20261201T0000",  # empty window
        "fraud~20261301T0000_20261302T0000",  # month 13
        "fraud~20261201T000000_20261201T0100",  # not the shortest form
        "fraud~20261201T0000_20261201T0100.000000",
        "fraud~20261201t0000_20261201T0100",
        "fraud~20261201T0000_20261201T0100~x",
        "fraud~22000101T0000_22000102T0000",  # past the accepted range
        "fraud~20261201T0000_20261201T0100\n",
        "fraud~\uff120261201T0000_20261201T0100",  # a full-width digit
        "a" * 300 + "~20261201T0000_20261201T0100",
    ],
)
def test_malformed_report_ids_are_refused(bad: str) -> None:
    """Anything report_id could not have produced raises ValueError (never another error)."""
    with pytest.raises(ValueError, match="report id"):
        keys.parse_report_id(bad)


@given(st.text(max_size=80))
def test_arbitrary_text_parses_or_raises_value_error(text: str) -> None:
    """Text from HTTP either is a canonical report id or raises ValueError."""
    try:
        model, start, end = keys.parse_report_id(text)
    except ValueError:
        return
    assert keys.report_id(model, start, end) == text


def test_report_id_refuses_bad_windows() -> None:
    """Naive instants, empty windows and models outside the partition rule are refused."""
    with pytest.raises(ValueError, match="time zone"):
        keys.report_id("m", datetime(2026, 12, 1), datetime(2026, 12, 2))
    with pytest.raises(ValueError, match="ends after"):
        keys.report_id("m", START, START)
    with pytest.raises(ValueError, match="a model"):
        keys.report_id("m~x", START, START + timedelta(hours=1))
