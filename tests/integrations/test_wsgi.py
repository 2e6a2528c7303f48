"""The WSGI middleware on a Flask app under real WSGI servers (waitress, gunicorn sync)."""

from __future__ import annotations

import re
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from observability.transform.lines import transform_lines
from tests.integrations.support import file_records, run_server
from tests.servers import free_port
from tests.shutdown.support import clean_env

TRACE_ID = "0af7651916cd43dd8448eb211c80319c"
PARENT_ID = "b7ad6b7169203331"


def waitress(port: int) -> list[str]:
    """waitress serving apps/wsgi_app.py."""
    return ["-m", "waitress", f"--listen=127.0.0.1:{port}", "wsgi_app:app"]


def gunicorn_sync(port: int) -> list[str]:
    """gunicorn with one sync worker serving apps/wsgi_app.py."""
    return ["-m", "gunicorn", "wsgi_app:app", "--workers", "1", "--bind", f"127.0.0.1:{port}"]


@pytest.mark.parametrize("server", [waitress, gunicorn_sync], ids=["waitress", "gunicorn"])
def test_middleware_under_a_wsgi_server(tmp_path: Path, server: Any) -> None:
    """Request ids echoed or made, traceparent honoured, the request's ids on lines logged
    while the body streams, and one exact access record per request."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    state = tmp_path / "state"
    env = clean_env(
        APP_SERVICE="flask-app",
        OBSERVABILITY_SINK="file",
        OBSERVABILITY_STATE_DIR=str(state),
        HOME=str(tmp_path),  # gunicorn keeps a control socket there
    )
    answers: dict[str, httpx.Response] = {}

    def requests(client: httpx.Client) -> None:
        answers["given"] = client.get(
            f"{base}/orders/3",
            headers={"X-Request-ID": "wsgi-1", "traceparent": f"00-{TRACE_ID}-{PARENT_ID}-00"},
        )
        answers["stream"] = client.get(f"{base}/stream", headers={"X-Request-ID": "wsgi-2"})
        answers["library"] = client.get(f"{base}/thirdparty")
        answers["missing"] = client.get(f"{base}/missing", headers={"X-Request-ID": "wsgi-4"})

    status = run_server(server(port), env, tmp_path / "server.log", f"{base}/orders/0", requests)
    assert status in (0, -signal.SIGTERM), (tmp_path / "server.log").read_text()
    assert answers["given"].headers["x-request-id"] == "wsgi-1"
    assert answers["stream"].text == "0\n1\n2\n"
    made = answers["library"].headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert answers["missing"].status_code == 404

    records = file_records(state)
    assert max(Counter(r["record_id"] for r in records).values()) == 1
    processed = transform_lines(_lines(state), None, "2026-12-03T00:00:00.000000Z")
    assert processed.rejected == []  # every line, bridged ones too, passes the transform
    access = {
        r["request_id"]: r
        for r in records
        if r.get("logger") == "observability.access" and r["event"] != "GET /orders/0 200"
    }
    assert set(access) == {"wsgi-1", "wsgi-2", made, "wsgi-4"}
    given = access["wsgi-1"]
    assert (given["trace_id"], given["span_id"]) == (TRACE_ID, PARENT_ID)
    assert (given["level"], given["event"]) == ("info", "GET /orders/3 200")
    attributes = given["attributes"]
    assert set(attributes) == {"method", "path", "status", "client", "latency_ms"}
    assert (attributes["method"], attributes["path"], attributes["status"]) == (
        "GET",
        "/orders/3",
        200,
    )
    assert attributes["client"].startswith("127.0.0.1")
    assert 0 <= attributes["latency_ms"] < 5000
    assert (access["wsgi-4"]["level"], access["wsgi-4"]["attributes"]["status"]) == ("info", 404)

    app = [r for r in records if r.get("logger") == "app"]
    looked_up = [
        r for r in app if r["event"] == "order looked up" and r["attributes"]["order"] == 3
    ]
    assert [(r["request_id"], r["trace_id"]) for r in looked_up] == [("wsgi-1", TRACE_ID)]
    chunks = [r for r in app if r["event"] == "chunk sent"]
    assert [(r["request_id"], r["attributes"]["chunk"]) for r in chunks] == [
        ("wsgi-2", 0),
        ("wsgi-2", 1),
        ("wsgi-2", 2),
    ]
    [library] = [r for r in records if r.get("logger") == "botocore.retries"]
    assert (library["level"], library["event"], library["request_id"]) == (
        "warning",
        "throttled, retrying",
        made,
    )


def _lines(state: Path) -> list[bytes]:
    return [line for line in (state / "out" / "logs.ndjson").read_bytes().splitlines() if line]
