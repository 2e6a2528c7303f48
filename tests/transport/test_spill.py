"""The spill: append, bound, replay claims, partial finishes and restarts."""

from __future__ import annotations

import io
from pathlib import Path

from observability.core.metrics import Metrics
from observability.core.schema import Kind
from observability.transport.spill import Spill, SpillEntry, decode_entry, encode_entry


def entries(count: int, reason: str = "undelivered") -> list[SpillEntry]:
    return [
        SpillEntry(Kind.LOG, "svc|2026-11-23T10", f'{{"n":{i}}}'.encode(), reason, "boom")
        for i in range(count)
    ]


def spilled(metrics: Metrics, outcome: str) -> float:
    value = metrics.registry.get_sample_value(
        "observability_sink_records_total", {"sink": "t", "outcome": outcome}
    )
    return value or 0.0


def test_entries_round_trip_including_invalid_utf8() -> None:
    """Every field survives encoding; a non-UTF-8 line is kept byte for byte (base64)."""
    for line in (b'{"a":"\xc3\xa9"}', b"\xff\xfe not utf-8"):
        entry = SpillEntry(Kind.PREDICTION, "m|2026-11-23T10", line, "rejected", "HTTP 400")
        assert decode_entry(encode_entry(entry)) == entry


def test_replay_claims_oldest_first_and_deletes_when_done(tmp_path: Path, metrics: Metrics) -> None:
    """Claimed files come oldest first; finishing with nothing left deletes the file."""
    spill = Spill(tmp_path, 1 << 20, metrics, sink="t")
    spill.append(entries(3), replayable=True)
    spill.rotate()
    spill.append(entries(2, reason="queue_full"), replayable=True)
    spill.rotate()
    first = spill.claim_oldest()
    assert first is not None and [e.reason for e in first.entries] == ["undelivered"] * 3
    first.finish([])
    second = spill.claim_oldest()
    assert second is not None and len(second.entries) == 2
    second.finish([])
    assert spill.claim_oldest() is None
    assert not list((tmp_path / "pending").iterdir())
    assert spill.bytes_used == 0
    assert spilled(metrics, "spilled") == 5


def test_partial_finish_keeps_only_what_is_left(tmp_path: Path, metrics: Metrics) -> None:
    """A replay that delivered part of a file rewrites it with the remaining lines only."""
    spill = Spill(tmp_path, 1 << 20, metrics, sink="t")
    spill.append(entries(4), replayable=True)
    claimed = spill.claim_oldest()  # rotates the open file first
    assert claimed is not None
    claimed.finish(claimed.entries[2:])
    again = spill.claim_oldest()
    assert again is not None
    assert [e.line for e in again.entries] == [b'{"n":2}', b'{"n":3}']


def test_a_file_in_use_elsewhere_is_not_claimed(tmp_path: Path, metrics: Metrics) -> None:
    """A second spill on the same directory (another process) never replays a locked file."""
    writer = Spill(tmp_path, 1 << 20, metrics, sink="t")
    replayer = Spill(tmp_path, 1 << 20, metrics, sink="t")
    writer.append(entries(2), replayable=True)
    assert replayer.claim_oldest() is None  # still open (and locked) by the writer
    writer.rotate()
    claimed = replayer.claim_oldest()
    assert claimed is not None and len(claimed.entries) == 2
    assert writer.claim_oldest() is None  # locked by the replayer now
    claimed.finish([])


def test_spill_is_bounded_and_loss_is_counted_loudly(tmp_path: Path, metrics: Metrics) -> None:
    """Past max_bytes lines are dropped, counted as spill_full and reported on stderr."""
    stderr = io.StringIO()
    size = len(encode_entry(entries(1)[0]))
    spill = Spill(tmp_path, size * 3, metrics, sink="t", stderr=stderr)
    kept = spill.append(entries(5), replayable=True)
    assert kept == 3
    assert spill.lost == 2
    assert spilled(metrics, "spill_full") == 2
    assert "spill is full" in stderr.getvalue() and "2 line(s)" in stderr.getvalue()


def test_rejected_lines_are_kept_apart_and_never_replayed(tmp_path: Path, metrics: Metrics) -> None:
    """Rejected lines go to rejected/ with their reason; replay does not offer them."""
    spill = Spill(tmp_path, 1 << 20, metrics, sink="t")
    spill.append(entries(2, reason="too_large"), replayable=False)
    spill.rotate()
    assert spill.claim_oldest() is None
    (path,) = (tmp_path / "rejected").glob("*.ndjson")
    assert [decode_entry(raw).reason for raw in path.read_bytes().splitlines()] == ["too_large"] * 2


def test_spill_survives_a_restart(tmp_path: Path, metrics: Metrics) -> None:
    """A new Spill on the same directory sees the old files, their size, and replays them."""
    old = Spill(tmp_path, 1 << 20, metrics, sink="t")
    old.append(entries(3), replayable=True)
    old.close()
    new = Spill(tmp_path, 1 << 20, metrics, sink="t")
    assert new.has_pending and new.bytes_used > 0
    claimed = new.claim_oldest()
    assert claimed is not None and len(claimed.entries) == 3


def test_corrupt_spill_lines_are_moved_aside(tmp_path: Path, metrics: Metrics) -> None:
    """A torn line (crash mid-write) does not block replay and is kept under rejected/."""
    spill = Spill(tmp_path, 1 << 20, metrics, sink="t")
    spill.append(entries(1), replayable=True)
    spill.rotate()
    (path,) = (tmp_path / "pending").glob("*.ndjson")
    with path.open("ab") as handle:
        handle.write(b'{"kind":"log","gro')
    claimed = spill.claim_oldest()
    assert claimed is not None and len(claimed.entries) == 1
    claimed.finish([])
    (corrupt,) = (tmp_path / "rejected").glob("*.corrupt.ndjson")
    assert corrupt.read_bytes() == b'{"kind":"log","gro\n'
