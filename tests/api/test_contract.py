"""The contract: the OpenAPI document describes every answer, checked by schemathesis
against a real `observability serve` process on a seeded store."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from observability.store.local import LocalStore
from tests.api import seed
from tests.servers import free_port, wait_http

BIN = Path(sys.executable).parent
#: Per operation and phase; the whole run stays near a minute on two shared cores.
MAX_EXAMPLES = 10
DASHBOARD_PATHS = (
    "/api/v1/models",
    "/api/v1/models/{model}/drift",
    "/api/v1/models/{model}/features/{feature}",
    "/api/v1/models/{model}/performance",
    "/api/v1/models/{model}/reports",
    "/api/v1/reports/{report_id}",
    "/api/v1/reports/{report_id}/html",
    "/api/v1/services",
    "/api/v1/queries",
    "/api/v1/queries/{name}",
    "/api/v1/jobs",
    "/api/v1/alerts",
    "/api/v1/alerts/history",
    "/api/v1/silences",
)


def seeded(root: Path) -> LocalStore:
    """Every kind of data the read routes answer from."""
    store = LocalStore(root / "store", fsync=False)
    seed.day_of_windows(store)
    seed.logs(store)
    seed.job_runs(store)
    ids = seed.predictions(store, seed.MODEL, seed.END - timedelta(hours=2), hours=2, per_hour=10)
    seed.labels(store, seed.MODEL, dict.fromkeys(ids[:5], "a"), seed.END)
    seed.alerts(store)
    seed.models_file(root / "models.yaml")
    return store


@contextmanager
def serving(root: Path, store: LocalStore) -> Iterator[str]:
    """`observability serve --role api` on the store; yields its base URL."""
    port = free_port()
    env = {
        **os.environ,
        "OBSERVABILITY_STORE_URL": store.url,
        "OBSERVABILITY_STATE_DIR": str(root / "state"),
        "OBSERVABILITY_MODELS_CONFIG": str(root / "models.yaml"),
    }
    command = [str(BIN / "observability"), "serve", "--host", "127.0.0.1", "--port", str(port)]
    with (root / "server.log").open("wb") as log:
        proc = subprocess.Popen([*command, "--role", "api"], env=env, stdout=log, stderr=log)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(f"{base}/healthz", proc=proc)
        yield base
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@pytest.mark.slow
def test_no_5xx_and_every_response_conforms(tmp_path: Path) -> None:
    """schemathesis fuzzes every operation of the live document: no answer is a 5xx, and
    every answer has a documented status, content type and schema."""
    store = seeded(tmp_path)
    with serving(tmp_path, store) as base:
        result = subprocess.run(
            [
                str(BIN / "schemathesis"),
                "run",
                f"{base}/openapi.json",
                "--checks",
                "not_a_server_error,status_code_conformance,content_type_conformance,"
                "response_schema_conformance",
                "--max-examples",
                str(MAX_EXAMPLES),
                "--seed",
                "20261203",
                # One worker: with two threads, hypothesis parses lambdas' source with `ast`
                # in both at once, which CPython 3.11 can fail with "AST constructor recursion
                # depth mismatch" (python/cpython#106905), an error of the tool, not the API.
                "--workers",
                "1",
                "--request-timeout",
                "60",
                "--no-color",
                "--report-dir",
                str(tmp_path / "schemathesis"),
            ],
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
    assert result.returncode == 0, result.stdout[-8000:] + result.stderr[-2000:]
    tested = re.search(r"Tested:\s+(\d+)", result.stdout)
    assert tested is not None and int(tested.group(1)) > len(DASHBOARD_PATHS)


def test_document_describes_each_answer(client: TestClient) -> None:
    """Each dashboard route declares its 200 schema and its 4xx as problem+json."""
    document = client.get("/openapi.json").json()
    for path in DASHBOARD_PATHS:
        operation = document["paths"][path]["get"]
        responses = operation["responses"]
        if not path.endswith("/html"):
            assert "$ref" in responses["200"]["content"]["application/json"]["schema"], path
        for status in ("400", "404", "422"):
            assert "application/problem+json" in responses[status]["content"], (path, status)
    model_list = document["components"]["schemas"]["ModelList"]
    assert model_list["examples"], "response models carry examples"


def test_large_answers_are_gzipped(client: TestClient, store: LocalStore) -> None:
    """An answer over 1 KiB is sent gzip-compressed to a client that accepts it (window
    points by the middleware, day points rendered and compressed once by the route)."""
    for day in range(5):
        seed.day_of_windows(store, end=seed.END - timedelta(days=day))
    for path in (
        "/api/v1/models/fraud/drift?since=2026-11-01&until=2026-11-02",
        "/api/v1/models/fraud/drift?since=2026-10-01&until=2026-11-02",
    ):
        response = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert response.headers["content-encoding"] == "gzip", path
        assert response.json()["model"] == "fraud"  # decoded by the client
