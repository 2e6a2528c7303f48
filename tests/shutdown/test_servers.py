"""Lines logged under real uvicorn and gunicorn processes survive their SIGTERM."""

from __future__ import annotations

import signal
from collections.abc import Callable
from pathlib import Path

import pytest

from observability.core.aws import AwsClients
from tests.servers import free_port
from tests.shutdown.support import (
    AppServer,
    Collector,
    clean_env,
    file_records,
    gunicorn_server,
    pending_lines,
    replay,
    serve_requests,
    uvicorn_server,
)
from tests.transport.support import create_stream, delivered_ids

REQUESTS = 6
ROUNDS = 2
SERVERS: dict[str, Callable[[int], AppServer]] = {
    "uvicorn": uvicorn_server,
    "gunicorn": lambda port: gunicorn_server(port, preload=False),
    "gunicorn-preload": lambda port: gunicorn_server(port, preload=True),
}


@pytest.mark.slow
@pytest.mark.parametrize(
    ("server", "sink"),
    [
        ("uvicorn", "file"),
        ("uvicorn", "http"),
        ("gunicorn", "http"),
        ("gunicorn-preload", "file"),
        ("gunicorn-preload", "http"),
    ],
)
def test_every_line_survives_sigterm_round_after_round(
    server: str, sink: str, real_collector: Collector, tmp_path: Path
) -> None:
    """N requests then SIGTERM, twice: N of N lines per round stored once, none left over."""
    service = f"{server}-{sink}"
    state = tmp_path / "state"
    env = clean_env(
        APP_SERVICE=service,
        OBSERVABILITY_SINK=sink,
        OBSERVABILITY_STATE_DIR=str(state),
        OBSERVABILITY_COLLECTOR_URL=real_collector.url,
        OBSERVABILITY_SINK_FLUSH_SECONDS="60",  # nothing is sent before the signal
        HOME=str(tmp_path),  # gunicorn's control socket goes under it
    )
    for round_number in range(1, ROUNDS + 1):
        port = free_port()
        status = serve_requests(SERVERS[server](port), port, env, tmp_path / "server.log", REQUESTS)
        log = (tmp_path / "server.log").read_text(errors="replace")
        # uvicorn re-raises SIGTERM: the process still ends by the signal; gunicorn's
        # master stops its workers and exits 0.
        assert status == (-signal.SIGTERM if server == "uvicorn" else 0), log
        expected = REQUESTS * round_number
        if sink == "http":
            if pending_lines(state, "http"):
                replay(env)
            ids = real_collector.wait_for(service, expected)
        else:
            ids = file_records(state, service)
        assert len(ids) == expected, log
        assert max(ids.values()) == 1
        assert pending_lines(state, sink) == 0


@pytest.mark.slow
@pytest.mark.aws
def test_firehose_lines_survive_sigterm_under_uvicorn(
    aws: AwsClients, moto_url: str, tmp_path: Path
) -> None:
    """Through Firehose (moto) too: N requests, SIGTERM, N of N records in S3, twice."""
    create_stream(aws, "observability-logs", "shutdown-firehose", "logs/")
    state = tmp_path / "state"
    env = clean_env(
        APP_SERVICE="uvicorn-firehose",
        OBSERVABILITY_SINK="firehose",
        OBSERVABILITY_STATE_DIR=str(state),
        OBSERVABILITY_AWS_ENDPOINT_URL=moto_url,
        OBSERVABILITY_SINK_FLUSH_SECONDS="60",
        AWS_ACCESS_KEY_ID="testing",
        AWS_SECRET_ACCESS_KEY="testing",  # noqa: S106 - moto's dummy credentials
    )
    for round_number in range(1, ROUNDS + 1):
        port = free_port()
        status = serve_requests(uvicorn_server(port), port, env, tmp_path / "server.log", REQUESTS)
        assert status == -signal.SIGTERM, (tmp_path / "server.log").read_text(errors="replace")
        if pending_lines(state, "firehose"):
            replay(env)
        ids = delivered_ids(aws, "shutdown-firehose", "logs/")
        assert len(ids) == REQUESTS * round_number
        assert max(ids.values()) == 1
