"""One `Runtime` per process part: its own registry, store and lazily built engines."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from observability.core.settings import Settings
from observability.runtime import Runtime
from observability.service.app import create_app
from observability.service.roles import Role
from observability.store.local import LocalStore
from tests.service.records import log_record, ndjson

COLLECTOR = frozenset({Role.COLLECTOR})


def _runtime(tmp_path: Path, name: str) -> Runtime:
    settings = Settings.from_env(
        {}, store_url=(tmp_path / name / "store").as_uri(), state_dir=tmp_path / name / "state"
    )
    return Runtime(settings)


def _accepted(metrics_text: str) -> float:
    for line in metrics_text.splitlines():
        if line.startswith("observability_records_accepted_total{") and 'kind="log"' in line:
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_two_runtimes_in_one_process_each_serve_their_own_metrics(tmp_path: Path) -> None:
    """Two apps built from two runtimes coexist (no duplicated timeseries) and count apart."""
    first, second = _runtime(tmp_path, "a"), _runtime(tmp_path, "b")
    assert first.metrics.registry is not second.metrics.registry
    with (
        TestClient(create_app(first, COLLECTOR)) as one,
        TestClient(create_app(second, COLLECTOR)) as two,
    ):
        body = ndjson([log_record(i) for i in range(3)])
        assert one.post("/api/v1/ingest/logs", content=body).status_code == 200
        assert (
            two.post("/api/v1/ingest/logs", content=body[: body.index(b"\n") + 1]).status_code
            == 200
        )
        text_one, text_two = one.get("/metrics").text, two.get("/metrics").text
    assert _accepted(text_one) == 3.0
    assert _accepted(text_two) == 1.0
    assert "process_cpu_seconds_total" in text_one  # each registry has its process collector


def test_a_local_runtime_makes_no_boto3_session(tmp_path: Path) -> None:
    """A file:// store needs no AWS: the session is created on first use only."""
    runtime = _runtime(tmp_path, "local")
    assert isinstance(runtime.store, LocalStore)
    assert runtime.aws._session is None


def test_the_engine_is_built_once_and_shared_with_search(tmp_path: Path) -> None:
    """The query engine is made on first use, reused, and the embedded search runs over it."""
    runtime = _runtime(tmp_path, "engine")
    engine = runtime.query_engine()
    assert runtime.query_engine() is engine
    backend = runtime.search_backend()
    assert backend.name == "embedded"
    runtime.close()
    assert runtime.query_engine() is not engine  # closed, then built again on demand
    runtime.close()


def test_runtime_from_env_reads_the_mapping_only(tmp_path: Path) -> None:
    """`Runtime.from_env` builds settings from the given mapping, overrides winning."""
    runtime = Runtime.from_env(
        {"OBSERVABILITY_STORE_URL": (tmp_path / "s").as_uri(), "OBSERVABILITY_ENV": "prod"},
        env="staging",
    )
    assert runtime.settings.env == "staging"
    assert runtime.store.url.startswith("file://")
