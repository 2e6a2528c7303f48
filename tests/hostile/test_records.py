"""Issue 9, point 5: accepted records that broke every query afterwards."""

from __future__ import annotations

from urllib.parse import quote

from tests.hostile.harness import Hostile, log_line

#: Timestamps that became partitions no query or compaction could read.
BAD_TIMESTAMPS = (
    "9999-12-31T23:59:59.999999Z",  # past 2200: an OverflowError in every unpinned query
    "2026-W47-1T13:00:00Z",  # an ISO week date, kept as written: a `dt=2026-W47-1` partition
    "1969-12-31T23:59:59Z",  # before 1970
)


def test_out_of_range_timestamps_are_refused_and_queries_keep_working(hostile: Hostile) -> None:
    """9.5: each bad timestamp goes to errors/ as invalid_value; its neighbours are stored
    and searching the store still answers."""
    body = log_line("h5-a")
    for i, timestamp in enumerate(BAD_TIMESTAMPS):
        body += log_line(f"h5-bad-{i}", timestamp=timestamp)
    body += log_line("h5-b")
    answer = hostile.post("logs", body)
    assert answer.status == 200, answer.body
    assert answer.json()["accepted"] == 2
    assert {r["reason"] for r in answer.json()["rejected"]} == {"invalid_value"}
    assert hostile.stored({"h5-a", "h5-b"}) == {"h5-a", "h5-b"}
    assert len(hostile.refused("invalid_value", "h5-bad-", len(BAD_TIMESTAMPS))) == 3
    for path in ("/api/v1/search?q=neighbour", f"/api/v1/search?since={quote('2d')}"):
        assert hostile.get(path).status == 200, path


def test_offset_timestamps_are_normalised_to_utc(hostile: Hostile) -> None:
    """A timestamp with an offset is stored as canonical UTC in the partition it names."""
    answer = hostile.post("logs", log_line("h5-offset", timestamp="2026-11-23T23:30:00-05:00"))
    assert answer.status == 200 and answer.json()["accepted"] == 1
    assert hostile.stored({"h5-offset"}) == {"h5-offset"}
    partitions = hostile.collector.store / "logs" / "service=hostile" / "dt=2026-11-24"
    assert (partitions / "hour=04").is_dir()
