"""Request-body decoding: media types, gzip members and limits, lines, JSON arrays."""

from __future__ import annotations

import gzip
import json
import time
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from observability.core.errors import Reason, Rejection
from observability.core.fields import MAX_RECORD_BYTES
from observability.service.body import (
    CUT_LENGTH,
    BodyDecoder,
    BodyLimits,
    GzipInflater,
    check_declared_length,
    decode_body,
    explain_cuts,
    json_body_lines,
)
from observability.service.errors import (
    BadBodyError,
    BodyTooLargeError,
    OverloadedError,
    UnsupportedMediaTypeError,
)

NDJSON = "application/x-ndjson"
LIMITS = BodyLimits(max_request_bytes=1_000, max_decompressed_bytes=1_000, max_lines=100)
ROOMY = BodyLimits(
    max_request_bytes=64 * 1024 * 1024, max_decompressed_bytes=64 * 1024 * 1024, max_lines=1_000
)


def _inflate(data: bytes, limit: int = 10_000) -> bytes:
    inflater = GzipInflater(limit)
    out = b"".join(inflater.feed(data))
    inflater.finish()
    return out


def test_multi_member_gzip_is_read_whole() -> None:
    """Concatenated gzip members (as `cat a.gz b.gz` makes) decode to all their lines."""
    body = gzip.compress(b'{"a":1}\n') + gzip.compress(b'{"b":2}\n')
    assert decode_body(body, NDJSON, "gzip", LIMITS).lines == [b'{"a":1}', b'{"b":2}']


def test_truncated_gzip_is_a_bad_body() -> None:
    """A gzip stream cut short is refused with a message, not read partially."""
    body = gzip.compress(b'{"a":1}\n' * 100)[:-10]
    with pytest.raises(BadBodyError, match="truncated"):
        _inflate(body)


def test_trailing_garbage_after_gzip_is_a_bad_body() -> None:
    """Bytes after the last gzip member that are not gzip are refused."""
    with pytest.raises(BadBodyError, match="not valid gzip"):
        _inflate(gzip.compress(b"{}\n") + b"junk")


def test_decompressed_limit_is_exact() -> None:
    """A body inflating to exactly the limit passes; one byte more is refused."""
    assert len(_inflate(gzip.compress(b"x" * 1_000), 1_000)) == 1_000
    with pytest.raises(BodyTooLargeError, match="decompressed"):
        _inflate(gzip.compress(b"x" * 1_001), 1_000)


def test_gzip_fed_in_arbitrary_pieces_decodes_the_same() -> None:
    """Chunk boundaries anywhere (inside headers, members, trailers) change nothing."""
    lines = [b'{"n":%d}' % i for i in range(900)]
    body = gzip.compress(b"\n".join(lines[:300])) + gzip.compress(
        b"\n" + b"\n".join(lines[300:]) + b"\n"
    )
    decoder = BodyDecoder(NDJSON, "gzip", ROOMY)
    for start in range(0, len(body), 7):
        decoder.feed(body[start : start + 7])
    assert decoder.finish().lines == lines


def test_many_empty_gzip_members_decode_in_linear_time() -> None:
    """8 MB of empty gzip members (quadratic before: 2 MB took 2.6 s) decode in seconds."""
    body = gzip.compress(b"", mtime=0) * (8 * 1024 * 1024 // 20)
    started = time.perf_counter()
    assert decode_body(body, NDJSON, "gzip", ROOMY).lines == []
    assert time.perf_counter() - started < 3.0


def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    """A Content-Length over the limit is refused without reading a byte."""
    with pytest.raises(BodyTooLargeError, match="2000 bytes"):
        check_declared_length("2000", LIMITS)
    check_declared_length("1000", LIMITS)
    check_declared_length(None, LIMITS)


def test_streamed_body_over_the_limit_is_refused() -> None:
    """A body without a length is cut off as soon as the bytes sent pass the limit."""
    decoder = BodyDecoder(NDJSON, None, LIMITS)
    decoder.feed(b"x" * 600)
    with pytest.raises(BodyTooLargeError, match="1000 bytes"):
        decoder.feed(b"x" * 600)


def test_tiny_line_bomb_is_refused_while_inflating() -> None:
    """8.4M lines in a 16 KB gzip are refused after the line limit, having inflated little."""
    bomb = gzip.compress(b"1\n" * 8_388_000, 9)
    assert len(bomb) < 20_000
    decoded: list[int] = []
    decoder = BodyDecoder(NDJSON, "gzip", ROOMY, decoded.append)
    with pytest.raises(BodyTooLargeError, match="more than 1000 records"):
        decoder.feed(bomb)
    assert sum(decoded) <= 2 * 1_000 + 64 * 1024  # the lines allowed plus one step


def test_line_limit_is_exact() -> None:
    """A body with exactly max_lines lines passes; one more line is refused with 413."""
    limits = BodyLimits(10_000, 10_000, 3)
    assert len(decode_body(b"{}\n{}\n{}\n", NDJSON, None, limits).lines) == 3
    with pytest.raises(BodyTooLargeError, match="more than 3 records"):
        decode_body(b"{}\n{}\n{}\n{}", NDJSON, None, limits)


def test_an_overlong_line_is_cut_and_its_neighbours_kept() -> None:
    """A 3 MB line keeps its first bytes (for errors/) and its real length; others pass."""
    long_line = b'{"x":"' + b"a" * 3_000_000 + b'"}'
    body = b'{"a":1}\n' + long_line + b'\r\n{"b":2}\n'
    decoder = BodyDecoder(NDJSON, None, ROOMY)
    for start in range(0, len(body), 100_000):
        decoder.feed(body[start : start + 100_000])
    decoded = decoder.finish()
    assert decoded.lines[0] == b'{"a":1}' and decoded.lines[2] == b'{"b":2}'
    assert decoded.lines[1] == long_line[:CUT_LENGTH]
    assert decoded.cut == {1: len(long_line) + 1}  # its `\r` counted too


def test_explain_cuts_names_the_real_length() -> None:
    """The refusal of a cut line says how long it really was."""
    rejection = Rejection(Reason.TOO_LARGE, "record is 1024001 bytes", b"...", 4)
    explain_cuts([rejection], {4: 3_000_000})
    assert rejection.message.startswith(f"record is 3000000 bytes; the limit is {MAX_RECORD_BYTES}")


def test_budget_refusal_stops_decoding() -> None:
    """When the caller's budget refuses a piece, decoding stops with its error."""

    def take(_nbytes: int) -> None:
        raise OverloadedError("full")

    with pytest.raises(OverloadedError):
        BodyDecoder(NDJSON, None, ROOMY, take).feed(b"{}\n")


def test_single_json_object_is_a_one_record_batch() -> None:
    """An application/json object (not an array) is taken as one record."""
    assert decode_body(b'{"a": 1}', "application/json; charset=utf-8", None, LIMITS).lines == [
        b'{"a": 1}'
    ]


def test_empty_bodies_are_empty_batches() -> None:
    """Empty NDJSON and JSON bodies, and `[]`, yield no lines rather than a refused record."""
    assert decode_body(b"", NDJSON, None, LIMITS).lines == []
    assert decode_body(b"  \n", "application/json", None, LIMITS).lines == []
    assert decode_body(b" [ ] ", "application/json", None, LIMITS).lines == []


def test_ndjson_crlf_and_blank_lines_are_tolerated() -> None:
    """CRLF line ends and blank lines do not become records."""
    body = b'{"a":1}\r\n\r\n{"b":2}\r\n'
    assert decode_body(body, None, None, LIMITS).lines == [b'{"a":1}', b'{"b":2}']


def test_unknown_encoding_is_unsupported() -> None:
    """A Content-Encoding other than gzip is refused as unsupported."""
    with pytest.raises(UnsupportedMediaTypeError, match="br"):
        BodyDecoder(NDJSON, "br", LIMITS)


def test_json_array_elements_are_kept_as_written() -> None:
    """Elements come out byte for byte, strings with brackets, commas and escapes intact."""
    body = b'[ {"a": "x,]}[{", "b": [1, {"c": "\\"]"}]} ,\n [1,2], "s", 3 ]'
    assert json_body_lines(body, 10).lines == [
        b'{"a": "x,]}[{", "b": [1, {"c": "\\"]"}]}',
        b"[1,2]",
        b'"s"',
        b"3",
    ]


def test_deep_json_elements_cost_no_recursion() -> None:
    """An element nested 300 or 200,000 deep is one element; its neighbours are separate."""
    deep = b"[" * 200_000 + b"]" * 200_000
    body = b'[{"a":1},' + b'{"x":' * 300 + b"1" + b"}" * 300 + b"," + deep + b',{"b":2}]'
    lines = json_body_lines(body, 10).lines
    assert lines[0] == b'{"a":1}' and lines[3] == b'{"b":2}'
    assert len(lines[1]) == 300 * 6 + 1 and lines[2] == deep


def test_an_array_not_well_formed_is_one_refusable_line() -> None:
    """An unterminated string or array, a stray brace or text after the array: one line."""
    for body in (b'[{"a":1}, {"b":"oops}', b'[{"a":1}, {"b":2}', b'[{"a":1}] junk', b"[1}"):
        assert json_body_lines(body, 10).lines == [body]
    assert json_body_lines(b"not json", 10).lines == [b"not json"]


def test_a_flaw_inside_an_element_refuses_that_element_only() -> None:
    """A malformed element is its own line; the elements around it are separate."""
    body = b'[{"a":1}, {"b": tru}, {"c":3},]'
    assert json_body_lines(body, 10).lines == [b'{"a":1}', b'{"b": tru}', b'{"c":3}', b""]


def test_json_array_line_limit_is_checked_while_scanning() -> None:
    """An array with more elements than the limit is refused with 413."""
    with pytest.raises(BodyTooLargeError, match="more than 5 records"):
        json_body_lines(b"[" + b",".join([b"{}"] * 6) + b"]", 5)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=5), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.lists(_json_values, max_size=8), st.sampled_from([None, 2]), st.booleans())
def test_scanner_agrees_with_a_json_parser(
    items: list[Any], indent: int | None, ascii_only: bool
) -> None:
    """For any JSON array, compact or pretty, each element parses to the parser's element."""
    body = json.dumps(items, indent=indent, ensure_ascii=ascii_only).encode()
    lines = json_body_lines(body, 100).lines
    assert [json.loads(line) for line in lines] == items
