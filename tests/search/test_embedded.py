"""The embedded backend over a LocalStore: hits, order, pages, ranges and aggregations."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from observability.search.embedded import EmbeddedSearch
from observability.search.hits import canonical_time
from observability.search.request import SearchRequest, epoch_ms, iso_ms
from tests.search.data import INGESTED_AT
from tests.search.oracle import expected_ids, ms
from tests.search.queries import QUERIES, VARIANTS


@pytest.mark.parametrize("variant", VARIANTS, ids=lambda v: ",".join(sorted(v)))
def test_hits_and_totals_match_the_python_oracle(
    embedded: EmbeddedSearch, fixture_records: list[dict[str, Any]], variant: dict[str, Any]
) -> None:
    """For every query and filter set, hits (in order) and totals are what the rules say."""
    for query in QUERIES:
        request = SearchRequest.build(query, **variant)
        result = embedded.search(request)
        expected = expected_ids(request, fixture_records)
        assert result.total == len(expected), query
        assert [hit["record_id"] for hit in result.hits] == expected[: request.size], query
        assert (result.next_cursor is not None) == (len(expected) > request.size), query


def test_a_hit_is_the_stored_record(
    embedded: EmbeddedSearch, fixture_records: list[dict[str, Any]]
) -> None:
    """A hit carries every stored field, objects decoded and times in canonical form."""
    result = embedded.search(SearchRequest.build("record_id:r004"))
    sent = next(r for r in fixture_records if r["record_id"] == "r004")
    expected = {
        **sent,
        "schema_version": 1,
        "timestamp": canonical_time(sent["timestamp"]),
        "ingested_at": INGESTED_AT,
    }
    assert result.hits == [expected]
    assert result.backend == "embedded"


def test_pages_follow_the_cursor_without_gaps_or_repeats(
    embedded: EmbeddedSearch, fixture_records: list[dict[str, Any]]
) -> None:
    """Paging by 7 visits every hit once, in order, records sharing a millisecond included."""
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        page = embedded.search(SearchRequest.build("", size=7, search_after=cursor))
        seen += [hit["record_id"] for hit in page.hits]
        pages += 1
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == expected_ids(SearchRequest.build(""), fixture_records)
    assert pages == 8
    # r910 is later than r010 within their millisecond; r901 ties r001 and wins on its id.
    assert seen.index("r910") == seen.index("r010") - 1
    assert seen.index("r901") == seen.index("r001") - 1


def test_time_bounds_are_inclusive_exclusive_at_millisecond_precision(
    embedded: EmbeddedSearch, fixture_records: list[dict[str, Any]]
) -> None:
    """`since` keeps records in its millisecond (any microseconds); `until` excludes it."""
    r001 = next(r for r in fixture_records if r["record_id"] == "r001")
    moment = iso_ms(ms(r001))
    inside = embedded.search(SearchRequest.build("", since=moment, until=iso_ms(ms(r001) + 1)))
    assert sorted(h["record_id"] for h in inside.hits) == ["r001", "r901"]
    before = embedded.search(SearchRequest.build("", until=moment, sort="asc", size=1000))
    assert "r001" not in {h["record_id"] for h in before.hits}
    assert before.total == 1  # only r000 is earlier


def test_aggregations_count_levels_and_services_per_bucket(
    embedded: EmbeddedSearch, fixture_records: list[dict[str, Any]]
) -> None:
    """Per-hour counts per level and per service equal the fixture's own counts."""
    result = embedded.search(SearchRequest.build("", interval="1h", size=1))
    assert result.aggregations is not None
    hour = 3_600_000
    for key, buckets in (
        ("level", result.aggregations.levels),
        ("service", result.aggregations.services),
    ):
        expected = Counter((iso_ms(ms(r) - ms(r) % hour), r[key]) for r in fixture_records)
        assert {(b.start, b.key): b.count for b in buckets} == expected
        assert [(b.start, b.key) for b in buckets] == sorted(expected)
    assert result.to_dict()["aggregations"]["interval_ms"] == hour


def test_an_empty_store_answers_with_no_hits(embedded: EmbeddedSearch) -> None:
    """A range with no data gives zero hits, a zero total and no cursor."""
    since = epoch_ms(SearchRequest.build("", since="2030-01-01T00:00:00Z").since)  # type: ignore[arg-type]
    result = embedded.search(SearchRequest.build("timeout", since=iso_ms(since), interval="1h"))
    assert (result.hits, result.total, result.next_cursor) == ([], 0, None)
    assert result.aggregations is not None and result.aggregations.levels == []
