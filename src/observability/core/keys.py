"""Every storage key and prefix, built here and nowhere else.

S3 and a local directory hold the same keys, and writers and readers (the collector,
compaction, the drift job, the query layer, the Glue registrar, the worker) meet only in
these shapes, so a key written in two places would one day disagree. Other modules call
these functions; a test scans the package for anything else formatting one of `ROOTS`.

Values that become a path segment (models, services, jobs, run ids) obey the partition
name rule of `core/checks.py`; a lease target, which may hold `/`, is percent-encoded.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final
from urllib.parse import quote, unquote

from observability.core.checks import is_name
from observability.core.fields import Kind
from observability.core.times import EARLIEST, LATEST

if TYPE_CHECKING:
    from observability.core.partitioning import Partition

#: Record data, one root per kind (`logs/`, `predictions/`, `labels/`).
DATA_ROOTS: Final[Mapping[Kind, str]] = {kind: f"{kind.plural}/" for kind in Kind}
#: Parquet files of compacted partitions: `compacted/<partition prefix><file>`.
COMPACTED: Final = "compacted/"
#: Records that failed a stage, never dropped.
ERRORS: Final = "errors/"
#: Evidently reports, per model and window-start day.
REPORTS: Final = "reports/"
#: The `drift_metrics` table's Parquet files.
DRIFT_METRICS: Final = "metrics/drift/"
#: Per-window run records and done-markers of the drift job.
DRIFT_RUNS: Final = "drift_runs/"
#: Mergeable per-hour feature sketches.
SKETCHES: Final = "sketches/"
#: Alerting: current state, history (a table, by day) and silences.
ALERTS: Final = "alerts/"
ALERT_STATE: Final = f"{ALERTS}state/"
ALERT_HISTORY: Final = f"{ALERTS}history/"
SILENCES: Final = f"{ALERTS}silences/"
#: One lease object per job and target.
LEASES: Final = "leases/"
#: The `job_runs` table's Parquet files.
JOB_RUNS: Final = "job_runs/"
#: Short-lived objects of the `/readyz` store probe.
PROBE: Final = "_probe/"
#: Athena's query results (the workgroup's output location on AWS), expired by lifecycle.
ATHENA_RESULTS: Final = "athena-results/"
#: The S3 object tag compaction puts on each source its Parquet file covers; the bucket's
#: lifecycle rule moves (or expires) tagged NDJSON by it.
COMPACTED_TAG: Final = ("observability-compacted", "true")
#: API keys: one record per key (a keyed hash, never the key) and one marker per revocation.
AUTH: Final = "auth/"
API_KEYS: Final = f"{AUTH}keys/"
REVOKED_KEYS: Final = f"{AUTH}revoked/"

#: Every top-level prefix of the layout.
ROOTS: Final[tuple[str, ...]] = (
    *DATA_ROOTS.values(),
    COMPACTED,
    ERRORS,
    REPORTS,
    DRIFT_METRICS,
    DRIFT_RUNS,
    SKETCHES,
    ALERTS,
    LEASES,
    JOB_RUNS,
    PROBE,
    AUTH,
    ATHENA_RESULTS,
)

_DAY_RE: Final = re.compile(r"\d{4}-\d{2}-\d{2}")
_HOUR_RE: Final = re.compile(r"[01]\d|2[0-3]")
#: Longest encoded lease target: S3 allows 1,024-byte keys, local file names 255 bytes.
MAX_TARGET_BYTES: Final = 240


# --- generic Hive-style paths -------------------------------------------------------


def hive_prefix(root: str, *pairs: tuple[str, str]) -> str:
    """`<root>col=value/col=value/`; a value must be a non-empty single path segment."""
    for column, value in pairs:
        if not value or "/" in value or value in (".", ".."):
            raise ValueError(f"{column}={value!r} cannot be a path segment")
    return root + "".join(f"{column}={value}/" for column, value in pairs)


def hive_values(key: str, root: str, columns: Sequence[str]) -> tuple[str, ...] | None:
    """Values of `columns` in a file key `<root>col=v/.../<file>`; None for any other shape."""
    if not key.startswith(root):
        return None
    parts = key[len(root) :].split("/")
    if len(parts) != len(columns) + 1 or not parts[-1]:
        return None
    values = []
    for segment, column in zip(parts, columns, strict=False):
        name, sep, value = segment.partition("=")
        if not sep or name != column or not value:
            return None
        values.append(value)
    return tuple(values)


def day(moment: datetime) -> str:
    """The UTC day of an aware instant, `YYYY-MM-DD`, as `dt=` holds it."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    return f"{moment.astimezone(UTC):%Y-%m-%d}"


def _check_name(what: str, value: str) -> str:
    if not is_name(value):
        raise ValueError(
            f"{what} must be 1-128 letters, digits, '.', '_' or '-' starting with a letter "
            f"or digit; got {value!r:.80}"
        )
    return value


def _check_day(value: str) -> str:
    if not _DAY_RE.fullmatch(value):
        raise ValueError(f"a day is YYYY-MM-DD; got {value!r:.40}")
    return value


# --- record data --------------------------------------------------------------------


def kind_prefix(kind: Kind) -> str:
    """`logs/`, `predictions/` or `labels/`."""
    return DATA_ROOTS[kind]


def partition_prefix(partition: Partition) -> str:
    """`logs/service=a/dt=2026-11-23/hour=13/`: a partition's Hive-style directory.

    Record values were checked by the schema already; this runs per batch, so it only formats.
    """
    head = f"{DATA_ROOTS[partition.kind]}{partition.column}={partition.key}/dt={partition.dt}/"
    return head if partition.hour is None else f"{head}hour={partition.hour}/"


def data_key(partition: Partition, filename: str) -> str:
    """The key of a data file in a partition."""
    return partition_prefix(partition) + filename


def rerouted_key(partition: Partition, stream: str, record_id: str) -> str:
    """Where the Firehose transform writes a record's lines that belong to another partition
    than the record's own: `<partition>/firehose-<digest>.json.gz`.

    The name is a digest of the delivery stream, the record id and the partition. Firehose
    sends a record with the same id when it retries a batch (an invocation id is not
    documented to survive a retry), so the retry replaces the file instead of adding a
    second copy; record ids are unique within a stream.
    """
    source = "\0".join((stream, record_id, partition_prefix(partition)))
    digest = hashlib.sha256(source.encode("utf-8", "surrogatepass")).hexdigest()[:40]
    return data_key(partition, f"firehose-{digest}.json.gz")


def compacted_key(partition: Partition, filename: str) -> str:
    """The key of a partition's file under `compacted/`."""
    return COMPACTED + partition_prefix(partition) + filename


def compacted_prefix(prefix: str) -> str:
    """The `compacted/` twin of a data prefix (`logs/service=a/` -> `compacted/logs/...`)."""
    return COMPACTED + prefix


def strip_compacted(path: str) -> tuple[bool, str]:
    """(whether `path` is under `compacted/`, the path without that root)."""
    if path.startswith(COMPACTED):
        return True, path[len(COMPACTED) :]
    return False, path


def error_key(stage: str, reason: str, dt: str, filename: str) -> str:
    """`errors/<stage>/<reason>/dt=<day>/<file>`: where refused records are kept."""
    return hive_prefix(f"{ERRORS}{stage}/{reason}/", ("dt", _check_day(dt))) + filename


def errors_prefix(stage: str | None = None) -> str:
    """`errors/` or one stage's `errors/<stage>/`."""
    return ERRORS if stage is None else f"{ERRORS}{stage}/"


def firehose_errors_prefix() -> str:
    """Firehose's ErrorOutputPrefix, in its own expressions: `errors/firehose/<type>/dt=<day>/`."""
    return errors_prefix("firehose") + "!{firehose:error-output-type}/dt=!{timestamp:yyyy-MM-dd}/"


# --- report ids ---------------------------------------------------------------------

#: Between the model and the window: outside the partition name alphabet, URL-unreserved.
REPORT_SEPARATOR: Final = "~"
_STAMP_FORMATS: Final = ("%Y%m%dT%H%M", "%Y%m%dT%H%M%S", "%Y%m%dT%H%M%S.%f")
_STAMP_RE: Final = re.compile(r"\d{8}T\d{4}(?:\d{2}(?:\.\d{6})?)?")


def _stamp(moment: datetime) -> str:
    """The shortest exact form: minutes, seconds or microseconds, UTC."""
    if moment.tzinfo is None:
        raise ValueError(f"{moment.isoformat()} has no time zone")
    utc = moment.astimezone(UTC)
    if not EARLIEST <= utc < LATEST:
        raise ValueError(f"{utc.isoformat()} is outside {EARLIEST:%Y-%m-%d}..{LATEST:%Y-%m-%d}")
    if utc.microsecond:
        return utc.strftime(_STAMP_FORMATS[2])
    return utc.strftime(_STAMP_FORMATS[1] if utc.second else _STAMP_FORMATS[0])


def _unstamp(text: str, report_id: str) -> datetime:
    """Inverse of `_stamp`, accepting only its own (shortest) form."""
    if _STAMP_RE.fullmatch(text):
        fmt = _STAMP_FORMATS[{13: 0, 15: 1}.get(len(text), 2)]
        try:
            moment = datetime.strptime(text, fmt).replace(tzinfo=UTC)
            if _stamp(moment) == text:
                return moment
        except ValueError:
            pass
    raise ValueError(f"not a report id: {report_id!r:.120}")


def report_id(model: str, start: datetime, end: datetime) -> str:
    """`<model>~<start>_<end>` (UTC, `20261201T0000`): one id per model and window.

    Unique across models, stable for a model and window (a re-run replaces its files), and
    URL-safe: the API serves `/reports/{id}`. `parse_report_id` inverts it.
    """
    _check_name("a model", model)
    first, last = _stamp(start), _stamp(end)
    if not start < end:
        raise ValueError(f"a window ends after it starts; got {first} to {last}")
    return f"{model}{REPORT_SEPARATOR}{first}_{last}"


def parse_report_id(value: str) -> tuple[str, datetime, datetime]:
    """(model, start, end) of a report id; ValueError for anything `report_id` cannot give."""
    model, sep, window = value.partition(REPORT_SEPARATOR)
    first, underscore, last = window.partition("_")
    if not (sep and underscore and len(value) <= 256 and is_name(model)):
        raise ValueError(f"not a report id: {value!r:.120}")
    start, end = _unstamp(first, value), _unstamp(last, value)
    if not start < end:
        raise ValueError(f"not a report id: {value!r:.120} (the window ends before it starts)")
    return model, start, end


def _model_day(report: str) -> tuple[str, str]:
    model, start, _end = parse_report_id(report)
    return model, day(start)


def _same_model(model: str, report: str) -> str:
    owner, _start, _end = parse_report_id(report)
    if owner != model:
        raise ValueError(f"report {report!r} belongs to model {owner!r}, not {model!r}")
    return model


# --- drift --------------------------------------------------------------------------


def reports_prefix(model: str | None = None) -> str:
    """`reports/` or one model's `reports/model=<m>/`."""
    return (
        REPORTS if model is None else hive_prefix(REPORTS, ("model", _check_name("a model", model)))
    )


#: A report's variants: `""` the drift report, `.quality` the model-quality report.
REPORT_VARIANTS: Final = ("", ".quality")
#: A report's files, per variant: Evidently's metrics and test results as plain JSON
#: (`Snapshot.json()`, served by the API), its standalone HTML, and its own snapshot
#: (`Snapshot.dumps()`, which `Snapshot.load` and an Evidently workspace read).
REPORT_JSON: Final = ".json"
REPORT_HTML: Final = ".html"
REPORT_SNAPSHOT: Final = ".snapshot.json"
REPORT_FORMATS: Final = (REPORT_JSON, REPORT_HTML, REPORT_SNAPSHOT)


def report_key(report: str, suffix: str = REPORT_JSON) -> str:
    """`reports/model=<m>/dt=<start day>/<report id><suffix>`, from the report id alone.

    Suffixes: a variant then a format, e.g. `.json`, `.quality.html`, `.snapshot.json`.
    """
    if not suffix.startswith(".") or "/" in suffix:
        raise ValueError(f"a report suffix starts with '.' and has no '/'; got {suffix!r}")
    model, start_day = _model_day(report)
    return hive_prefix(REPORTS, ("model", model), ("dt", start_day)) + report + suffix


def report_file_of(key: str) -> tuple[str, str, str] | None:
    """(report id, variant, format) of a report file's key; None for any other key."""
    if hive_values(key, REPORTS, ("model", "dt")) is None:
        return None
    name = key.rpartition("/")[2]
    for variant in REPORT_VARIANTS:
        for fmt in REPORT_FORMATS:
            suffix = variant + fmt
            if not name.endswith(suffix):
                continue
            report = name[: -len(suffix)]
            try:
                if report_key(report, suffix) == key:
                    return report, variant, fmt
            except ValueError:  # `report.quality` or `report.snapshot`: another suffix
                continue
    return None


def drift_metrics_prefix(model: str | None = None) -> str:
    """`metrics/drift/` or one model's `metrics/drift/model=<m>/`."""
    if model is None:
        return DRIFT_METRICS
    return hive_prefix(DRIFT_METRICS, ("model", _check_name("a model", model)))


def drift_metrics_key(report: str) -> str:
    """`metrics/drift/model=<m>/dt=<start day>/<report id>.parquet`: one run's rows."""
    model, start_day = _model_day(report)
    return hive_prefix(DRIFT_METRICS, ("model", model), ("dt", start_day)) + f"{report}.parquet"


def drift_runs_prefix(model: str | None = None) -> str:
    """`drift_runs/` or one model's `drift_runs/model=<m>/`."""
    if model is None:
        return DRIFT_RUNS
    return hive_prefix(DRIFT_RUNS, ("model", _check_name("a model", model)))


def drift_run_key(model: str, report: str) -> str:
    """`drift_runs/model=<m>/<report id>.json`: what a window's last run saw."""
    return drift_runs_prefix(_same_model(model, report)) + f"{report}.json"


def drift_done_key(model: str, report: str) -> str:
    """`drift_runs/model=<m>/<report id>.done`: the window was computed (the scheduler's marker)."""
    return drift_runs_prefix(_same_model(model, report)) + f"{report}.done"


SKETCH_BINS_NAME: Final = "_bins.json"
SKETCH_HOUR_NAME: Final = "sketch.json"
SKETCH_DAY_NAME: Final = "_day.json"


def sketches_prefix(model: str | None = None) -> str:
    """`sketches/` or one model's `sketches/model=<m>/`."""
    if model is None:
        return SKETCHES
    return hive_prefix(SKETCHES, ("model", _check_name("a model", model)))


def sketch_bins_key(model: str) -> str:
    """`sketches/model=<m>/_bins.json`: a model's bins and reference histogram."""
    return sketches_prefix(model) + SKETCH_BINS_NAME


def sketch_day_prefix(model: str, dt: str) -> str:
    """`sketches/model=<m>/dt=<day>/`: a model-day's hour sketches and roll-up."""
    return hive_prefix(SKETCHES, ("model", model), ("dt", _check_day(dt)))


def sketch_hour_key(model: str, dt: str, hour: str) -> str:
    """`sketches/model=<m>/dt=<day>/hour=<HH>/sketch.json`: one hour's sketch."""
    if not _HOUR_RE.fullmatch(hour):
        raise ValueError(f"an hour is 00-23; got {hour!r:.20}")
    return hive_prefix(sketch_day_prefix(model, dt), ("hour", hour)) + SKETCH_HOUR_NAME


def sketch_hour_of(key: str, model: str, dt: str) -> str | None:
    """The hour (`HH`) of an hour-sketch key of a model-day; None for any other key."""
    values = hive_values(key, sketch_day_prefix(model, dt), ("hour",))
    if values is None or key != sketch_hour_key(model, dt, values[0]):
        return None
    return values[0]


def sketch_day_key(model: str, dt: str) -> str:
    """`sketches/model=<m>/dt=<day>/_day.json`: the merge of that day's hours."""
    return sketch_day_prefix(model, dt) + SKETCH_DAY_NAME


# --- worker -------------------------------------------------------------------------


def lease_key(job: str, target: str) -> str:
    """`leases/<job>/<target, percent-encoded>.json`; `lease_target` inverts the encoding."""
    encoded = quote(target, safe="")
    if not target or len(encoded.encode()) > MAX_TARGET_BYTES:
        raise ValueError(
            f"a lease target is 1-{MAX_TARGET_BYTES} bytes encoded; got {target!r:.80}"
        )
    return f"{leases_prefix(job)}{encoded}.json"


def leases_prefix(job: str | None = None) -> str:
    """`leases/` or one job's `leases/<job>/`."""
    return LEASES if job is None else f"{LEASES}{_check_name('a job', job)}/"


def lease_target(key: str) -> tuple[str, str]:
    """(job, target) of a lease key; ValueError for any other key."""
    rest = key[len(LEASES) :] if key.startswith(LEASES) else ""
    job, _, name = rest.partition("/")
    if not (is_name(job) and name.endswith(".json") and "/" not in name):
        raise ValueError(f"not a lease key: {key!r:.120}")
    target = unquote(name[: -len(".json")], errors="strict")
    if lease_key(job, target) != key:
        raise ValueError(f"not a lease key: {key!r:.120}")
    return job, target


def job_runs_prefix(job: str | None = None) -> str:
    """`job_runs/` or one job's `job_runs/job=<job>/`."""
    return JOB_RUNS if job is None else hive_prefix(JOB_RUNS, ("job", _check_name("a job", job)))


def job_run_key(job: str, started_at: datetime, run_id: str) -> str:
    """`job_runs/job=<job>/dt=<start day>/<run id>.parquet`: one run's row."""
    return hive_prefix(job_runs_prefix(job), ("dt", day(started_at))) + (
        f"{_check_name('a run id', run_id)}.parquet"
    )


# --- alerting -----------------------------------------------------------------------


def alert_state_key(fingerprint: str) -> str:
    """`alerts/state/<fingerprint>.json`: one alert's current state."""
    return f"{ALERT_STATE}{_check_name('an alert fingerprint', fingerprint)}.json"


def alert_history_prefix(rule: str | None = None) -> str:
    """`alerts/history/` or one rule's `alerts/history/rule=<rule>/`.

    Partitioned `rule=`/`dt=` like the other derived tables, so the query layer reads it.
    """
    if rule is None:
        return ALERT_HISTORY
    return hive_prefix(ALERT_HISTORY, ("rule", _check_name("an alert rule", rule)))


def alert_history_key(rule: str, dt: str, name: str) -> str:
    """`alerts/history/rule=<rule>/dt=<day>/<name>`: a file of one rule's state transitions."""
    return hive_prefix(alert_history_prefix(rule), ("dt", _check_day(dt))) + _check_name(
        "a file name", name
    )


def silence_key(silence_id: str) -> str:
    """`alerts/silences/<id>.json`: one silence."""
    return f"{SILENCES}{_check_name('a silence id', silence_id)}.json"


#: Alerting: per rule group, when it was last evaluated; per notification group, its log.
ALERT_GROUPS: Final = f"{ALERTS}groups/"
NOTIFICATIONS: Final = f"{ALERTS}notifications/"


def alert_group_key(group: str) -> str:
    """`alerts/groups/<group>.json`: when a rule group was last evaluated, and by whom."""
    return f"{ALERT_GROUPS}{_check_name('a rule group', group)}.json"


def notification_log_key(group_key: str) -> str:
    """`alerts/notifications/<group key hash>.json`: what a receiver was told of a group."""
    return f"{NOTIFICATIONS}{_check_name('a notification group', group_key)}.json"


# --- service ------------------------------------------------------------------------


def probe_key(token: str) -> str:
    """`_probe/<token>`: an object `/readyz` writes and deletes."""
    return PROBE + _check_name("a probe token", token)


# --- auth ---------------------------------------------------------------------------


def api_key_key(key_id: str) -> str:
    """`auth/keys/<key id>.json`: one API key's record (its keyed hash, role and name)."""
    return f"{API_KEYS}{_check_name('an API key id', key_id)}.json"


def api_key_revoked_key(key_id: str) -> str:
    """`auth/revoked/<key id>.json`: the marker that revokes a key (the record stays)."""
    return f"{REVOKED_KEYS}{_check_name('an API key id', key_id)}.json"


def api_key_id_of(key: str) -> tuple[str, str] | None:
    """("record" or "revoked", key id) of a key under `auth/`; None for any other key."""
    for what, root in (("record", API_KEYS), ("revoked", REVOKED_KEYS)):
        name = key[len(root) :] if key.startswith(root) else ""
        key_id = name.removesuffix(".json")
        if name.endswith(".json") and is_name(key_id) and "/" not in key_id:
            return what, key_id
    return None
