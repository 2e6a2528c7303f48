"""The ASGI middleware and the stdlib bridge under a real uvicorn, delivering to a real
collector through the HTTP sink that `configure(service=…)` builds from the environment."""

from __future__ import annotations

import re
import signal
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

from observability.integrations.requests import parse_traceparent, request_id_from
from tests.integrations.support import run_server, stored, wait_stored
from tests.servers import free_port
from tests.shutdown.support import Collector, clean_env

TRACE_ID = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_ID = "00f067aa0ba902b7"
TRACEPARENT = f"00-{TRACE_ID}-{PARENT_ID}-01"


def serve(
    collector: Collector, tmp_path: Path, service: str, *, middleware: bool, requests: Any
) -> None:
    """uvicorn serving apps/asgi_app.py until `requests` is done, then SIGTERM."""
    port = free_port()
    env = clean_env(
        APP_SERVICE=service,
        APP_MIDDLEWARE="1" if middleware else "0",
        OBSERVABILITY_SINK="http",
        OBSERVABILITY_COLLECTOR_URL=collector.url,
        OBSERVABILITY_STATE_DIR=str(tmp_path / "state"),
        OBSERVABILITY_ENV="test",
    )
    argv = ["-m", "uvicorn", "asgi_app:app", "--host", "127.0.0.1", "--port", str(port)]
    status = run_server(
        argv,
        env,
        tmp_path / "server.log",
        f"http://127.0.0.1:{port}/openapi.json",
        lambda client: requests(client, f"http://127.0.0.1:{port}"),
    )
    # uvicorn re-raises SIGTERM after its shutdown: the process ends by the signal.
    assert status in (0, -signal.SIGTERM), (tmp_path / "server.log").read_text()


def of(records: list[dict[str, Any]], logger: str) -> list[dict[str, Any]]:
    """The records of one logger."""
    return [r for r in records if r.get("logger") == logger]


def test_middleware_under_uvicorn(real_collector: Collector, tmp_path: Path) -> None:
    """Request ids are echoed (or made), traceparent is honoured, every request gives one
    exact access record, and a library's warning and exception arrive once each."""
    answers: dict[str, httpx.Response] = {}

    def requests(client: httpx.Client, base: str) -> None:
        answers["given"] = client.get(
            f"{base}/orders/7", headers={"X-Request-ID": "req-given-1", "traceparent": TRACEPARENT}
        )
        answers["made"] = client.get(f"{base}/sync/8")
        answers["library"] = client.get(f"{base}/thirdparty", headers={"X-Request-ID": "req-lib"})
        answers["boom"] = client.get(f"{base}/boom", headers={"X-Request-ID": "req-boom"})

    serve(real_collector, tmp_path, "asgi-mw", middleware=True, requests=requests)
    assert answers["given"].headers["x-request-id"] == "req-given-1"
    made = answers["made"].headers["x-request-id"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    assert answers["boom"].status_code == 500

    records = wait_stored(
        real_collector, "asgi-mw", lambda rs: len(of(rs, "observability.access")) >= 5
    )
    assert max(Counter(r["record_id"] for r in records).values()) == 1
    probes = [
        r for r in of(records, "observability.access") if r["event"].startswith("GET /openapi")
    ]
    assert len(probes) == 1  # the readiness probe is a request too
    access = [r for r in of(records, "observability.access") if r not in probes]
    by_request = {r["request_id"]: r for r in access}
    assert len(access) == len(by_request) == 4
    given = by_request["req-given-1"]
    assert (given["trace_id"], given["span_id"]) == (TRACE_ID, PARENT_ID)
    assert (given["level"], given["event"]) == ("info", "GET /orders/7 200")
    attributes = given["attributes"]
    assert set(attributes) == {"method", "path", "status", "client", "latency_ms"}
    assert (attributes["method"], attributes["path"], attributes["status"]) == (
        "GET",
        "/orders/7",
        200,
    )
    assert attributes["client"].startswith("127.0.0.1:")
    assert 0 <= attributes["latency_ms"] < 5000
    boom = by_request["req-boom"]
    assert (boom["level"], boom["event"], boom["attributes"]["status"]) == (
        "error",
        "GET /boom 500",
        500,
    )
    assert "trace_id" not in by_request[made]

    [app_given, app_made] = sorted(of(records, "app"), key=lambda r: r["attributes"]["order"])
    assert (app_given["request_id"], app_given["trace_id"], app_given["span_id"]) == (
        "req-given-1",
        TRACE_ID,
        PARENT_ID,
    )
    assert app_made["request_id"] == made  # a sync endpoint's thread sees the context

    library = of(records, "urllib3.connectionpool")
    assert [(r["level"], r["event"]) for r in library] == [
        ("warning", "Retrying (Retry(total=2)) after connection broken"),
        ("error", "request failed"),
    ]
    assert {r["request_id"] for r in library} == {"req-lib"}
    assert library[1]["exception"]["type"] == "ConnectionResetError"
    assert library[1]["exception"]["frames"][-1]["name"] == "thirdparty"

    assert of(records, "uvicorn.access") == []  # the middleware's record replaces it
    [crash] = [r for r in of(records, "uvicorn.error") if "exception" in r]
    assert crash["exception"]["type"] == "RuntimeError"
    assert any(
        r["event"].startswith("Started server process") for r in of(records, "uvicorn.error")
    )


def test_uvicorn_access_lines_are_bridged_without_the_middleware(
    real_collector: Collector, tmp_path: Path
) -> None:
    """Without the middleware, each request gives one uvicorn access record with method,
    path, status and client."""

    def requests(client: httpx.Client, base: str) -> None:
        for n in range(3):
            assert client.get(f"{base}/orders/{n}?verbose=1").status_code == 200

    serve(real_collector, tmp_path, "asgi-plain", middleware=False, requests=requests)
    records = wait_stored(
        real_collector,
        "asgi-plain",
        lambda rs: len([r for r in of(rs, "uvicorn.access") if "/orders/" in r["event"]]) >= 3,
    )
    access = [r for r in of(records, "uvicorn.access") if "/orders/" in r["event"]]
    assert sorted(r["event"] for r in access) == [
        f"GET /orders/{n}?verbose=1 200" for n in range(3)
    ]
    for record in access:
        attributes = record["attributes"]
        assert set(attributes) == {"client", "method", "path", "http_version", "status"}
        assert (attributes["method"], attributes["status"]) == ("GET", 200)
        assert attributes["client"].startswith("127.0.0.1:")
    assert len(of(records, "app")) == 3
    assert len(stored(real_collector, "asgi-plain")) == len(records)


def test_request_id_and_traceparent_parsing() -> None:
    """Sane request ids are kept, odd ones replaced; only valid W3C traceparents count."""
    assert request_id_from("abc-123_X.y") == "abc-123_X.y"
    for bad in ("", "has space", "x" * 129, "a\u00e9"):
        assert re.fullmatch(r"[0-9a-f]{32}", request_id_from(bad))
    assert parse_traceparent(TRACEPARENT) == (TRACE_ID, PARENT_ID)
    assert parse_traceparent(f"01-{TRACE_ID}-{PARENT_ID}-01-later") == (TRACE_ID, PARENT_ID)
    for bad in (
        f"00-{TRACE_ID}-{PARENT_ID}-01-extra",
        f"ff-{TRACE_ID}-{PARENT_ID}-01",
        f"00-{'0' * 32}-{PARENT_ID}-01",
        f"00-{TRACE_ID}-{'0' * 16}-01",
        f"00-{TRACE_ID.upper()}-{PARENT_ID}-01",
        "garbage",
        None,
    ):
        assert parse_traceparent(bad) is None
