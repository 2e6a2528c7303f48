"""Packing lines into envelopes: per kind and group, bounded, newline-terminated."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observability.core.schema import Kind
from observability.transport.aggregate import halves, pack


def test_lines_of_one_group_share_envelopes_up_to_the_bound() -> None:
    """Ten 99-byte lines with a 500-byte bound make envelopes of five lines each."""
    items = [(Kind.LOG, "a|2026-11-23T10", b"x" * 99) for _ in range(10)]
    packed = pack(items, 500)
    assert [p.envelope.count for p in packed] == [5, 5]
    assert all(p.envelope.data == b"\n".join(p.lines) + b"\n" for p in packed)


def test_groups_and_kinds_never_mix() -> None:
    """Lines of different groups or kinds go to different envelopes."""
    items = [
        (Kind.LOG, "a|h", b"1"),
        (Kind.LOG, "b|h", b"2"),
        (Kind.PREDICTION, "a|h", b"3"),
        (Kind.LOG, "a|h", b"4"),
    ]
    packed = pack(items, 1_000)
    assert {(p.envelope.kind, p.group, p.envelope.data) for p in packed} == {
        (Kind.LOG, "a|h", b"1\n4\n"),
        (Kind.LOG, "b|h", b"2\n"),
        (Kind.PREDICTION, "a|h", b"3\n"),
    }


def test_without_aggregation_each_line_is_its_own_envelope() -> None:
    """max_bytes=None sends one newline-terminated line per envelope."""
    packed = pack([(Kind.LOG, "a|h", b"1"), (Kind.LOG, "a|h", b"2")], None)
    assert [p.envelope.data for p in packed] == [b"1\n", b"2\n"]


@given(
    st.lists(
        st.tuples(st.sampled_from(["a|h", "b|h"]), st.binary(min_size=1, max_size=80)),
        max_size=60,
    ),
    st.integers(min_value=1, max_value=400),
    st.one_of(st.none(), st.integers(min_value=1, max_value=10)),
)
def test_packing_keeps_every_line_once_within_the_bounds(
    raw: list[tuple[str, bytes]], bound: int, max_lines: int | None
) -> None:
    """Every line appears exactly once, in order per group; no envelope has more than
    max_lines lines, and only a lone line may exceed the byte bound."""
    lines = [line.replace(b"\n", b" ") for _, line in raw]
    items = [(Kind.LOG, group, line) for (group, _), line in zip(raw, lines, strict=True)]
    packed = pack(items, bound, max_lines)
    for group in ("a|h", "b|h"):
        expected = [line for (g, _), line in zip(raw, lines, strict=True) if g == group]
        got = [line for p in packed if p.group == group for line in p.lines]
        assert got == expected
    for p in packed:
        assert len(p.envelope.data) <= bound or p.envelope.count == 1
        assert max_lines is None or p.envelope.count <= max_lines


@given(
    st.lists(
        st.binary(min_size=1, max_size=20).map(lambda b: b.replace(b"\n", b" ")),
        min_size=2,
        max_size=40,
    )
)
def test_halves_split_an_envelope_into_two_that_keep_every_line(lines: list[bytes]) -> None:
    """The halves of an envelope hold its lines, in order, about half each."""
    (whole,) = pack([(Kind.LOG, "a|h", line) for line in lines], 1 << 20)
    first, second = halves(whole)
    assert first.lines + second.lines == lines
    assert abs(len(first.lines) - len(second.lines)) <= 1
    assert first.envelope.data + second.envelope.data == whole.envelope.data
    assert (first.group, second.envelope.kind) == ("a|h", Kind.LOG)


def test_a_single_line_cannot_be_halved() -> None:
    """Halving one line is a caller's mistake: it raises instead of making an empty envelope."""
    (one,) = pack([(Kind.LOG, "a|h", b"x")], 100)
    with pytest.raises(ValueError, match="one line"):
        halves(one)
