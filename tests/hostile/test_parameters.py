"""Issue 9, point 11: bad query parameters answered 500 instead of a 4xx with a message."""

from __future__ import annotations

from urllib.parse import urlencode

import pytest

from tests.hostile.harness import Hostile

BAD_PARAMETERS = [
    {"since": "99999999999d"},
    {"since": "0001-01-01T00:00:00+14:00"},
    {"until": "9999-12-31T23:59:59-05:00"},
    {"interval": "99999999999999999999w"},
    {"service": "a\x00b"},
    {"service": "good/../../../../../../../usr"},
    {"since": "2026-11-24", "until": "2026-11-23"},
]


@pytest.mark.parametrize("params", BAD_PARAMETERS, ids=[str(p) for p in BAD_PARAMETERS])
def test_bad_search_parameters_are_4xx_with_a_message(
    hostile: Hostile, params: dict[str, str]
) -> None:
    """9.11: each is refused with a 4xx problem naming the parameter, never a 500."""
    answer = hostile.get("/api/v1/search?" + urlencode(params))
    assert 400 <= answer.status < 500, answer.body
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"]


def test_a_long_phrase_is_not_a_server_error(hostile: Hostile) -> None:
    """9.11: a 300-word phrase is answered (a result or a 4xx), not a 5xx."""
    phrase = '"' + " ".join(f"word{i}" for i in range(300)) + '"'
    answer = hostile.get("/api/v1/search?" + urlencode({"q": phrase}))
    assert answer.status < 500, answer.body
