"""The dashboard routes' path and query values against the real process: 4xx, never 5xx."""

from __future__ import annotations

from urllib.parse import quote

import pytest

from tests.hostile.harness import Hostile

BAD_PATHS = [
    "/api/v1/models/" + quote("../../etc", safe="") + "/drift",
    "/api/v1/models/" + "m" * 5000 + "/drift",
    "/api/v1/models/fraud/drift?since=99999999999d",
    "/api/v1/models/fraud/drift?resolution=everything",
    "/api/v1/reports/" + quote("../../../etc/passwd", safe=""),
    "/api/v1/reports/" + quote("fraud~2026_x", safe="") + "/html",
    "/api/v1/models/fraud/reports?limit=100000000",
    "/api/v1/models/fraud/reports?cursor=" + quote("not a cursor\x00", safe=""),
    "/api/v1/jobs?status=" + quote("x" * 10_000, safe=""),
    "/api/v1/services?until=9999-12-31T23:59:59-05:00",
    "/api/v1/queries/" + quote("../secret", safe=""),
    "/api/v1/queries/error-rate?unknown=1",
]


@pytest.mark.parametrize("path", BAD_PATHS, ids=range(len(BAD_PATHS)))
def test_bad_route_values_are_4xx_problems(hostile: Hostile, path: str) -> None:
    """Each bad value is refused with a 4xx problem document that names no local path."""
    answer = hostile.get(path)
    assert 400 <= answer.status < 500, answer.body[:300]
    assert answer.headers["content-type"] == "application/problem+json"
    assert str(hostile.collector.root) not in answer.body.decode(errors="replace")
