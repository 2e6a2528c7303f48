"""Issue 9, points 1, 7 and 10 against the real process: nothing local leaks, nothing escapes."""

from __future__ import annotations

from urllib.parse import urlencode

from tests.hostile.harness import Hostile


def test_readiness_names_no_store_path(hostile: Hostile) -> None:
    """10: /readyz says ready and which roles run, never where the store is."""
    answer = hostile.get("/readyz")
    assert answer.status == 200, answer.body
    assert str(hostile.collector.store) not in answer.body.decode()
    assert str(hostile.collector.root) not in answer.body.decode()


def test_errors_carry_no_local_path(hostile: Hostile) -> None:
    """10: refusals are problem documents that name no path of the machine."""
    for path in ("/api/v1/nothing", "/api/v1/search?" + urlencode({"since": "soon"})):
        answer = hostile.get(path)
        assert 400 <= answer.status < 500, answer.body
        assert answer.headers["content-type"] == "application/problem+json"
        assert str(hostile.collector.root) not in answer.body.decode()


def test_a_traversing_model_filter_is_refused_fast(hostile: Hostile) -> None:
    """1: a model filter that would become a path outside the store is a 400, at once."""
    answer = hostile.get("/api/v1/search?" + urlencode({"model": "../../../../etc"}))
    assert answer.status == 400, answer.body


def test_a_named_query_parameter_cannot_reach_a_file(hostile: Hostile) -> None:
    """7: a query route's parameters are bound values: a path-shaped service is refused."""
    params = {"service": "../../outside", "since": "1h"}
    answer = hostile.get("/api/v1/queries/error-rate?" + urlencode(params))
    assert 400 <= answer.status < 500, answer.body
    assert "a file no request may touch" not in answer.body.decode()
