"""Request-body decoding: media types, gzip members and limits, JSON arrays."""

from __future__ import annotations

import asyncio
import gzip
from collections.abc import AsyncIterator

import pytest

from observability.service.body import decode_body, gunzip_limited, read_limited
from observability.service.errors import (
    BadBodyError,
    BodyTooLargeError,
    UnsupportedMediaTypeError,
)


async def _chunks(*parts: bytes) -> AsyncIterator[bytes]:
    for part in parts:
        yield part


def test_multi_member_gzip_is_read_whole() -> None:
    """Concatenated gzip members (as `cat a.gz b.gz` makes) decode to all their lines."""
    body = gzip.compress(b'{"a":1}\n') + gzip.compress(b'{"b":2}\n')
    assert decode_body(body, "application/x-ndjson", "gzip", 1_000) == [b'{"a":1}', b'{"b":2}']


def test_truncated_gzip_is_a_bad_body() -> None:
    """A gzip stream cut short is refused with a message, not read partially."""
    body = gzip.compress(b'{"a":1}\n' * 100)[:-10]
    with pytest.raises(BadBodyError, match="truncated"):
        gunzip_limited(body, 10_000)


def test_trailing_garbage_after_gzip_is_a_bad_body() -> None:
    """Bytes after the last gzip member that are not gzip are refused."""
    with pytest.raises(BadBodyError, match="not valid gzip"):
        gunzip_limited(gzip.compress(b"{}\n") + b"junk", 10_000)


def test_decompressed_limit_is_exact() -> None:
    """A body inflating to exactly the limit passes; one byte more is refused."""
    assert len(gunzip_limited(gzip.compress(b"x" * 1_000), 1_000)) == 1_000
    with pytest.raises(BodyTooLargeError, match="decompressed"):
        gunzip_limited(gzip.compress(b"x" * 1_001), 1_000)


def test_declared_length_over_the_limit_is_refused_before_reading() -> None:
    """A Content-Length over the limit is refused without consuming the stream."""
    with pytest.raises(BodyTooLargeError, match="2000 bytes"):
        asyncio.run(read_limited(_chunks(b"x"), 1_000, "2000"))


def test_streamed_body_over_the_limit_is_refused() -> None:
    """A chunked body without a length is cut off as soon as it passes the limit."""
    with pytest.raises(BodyTooLargeError):
        asyncio.run(read_limited(_chunks(b"x" * 600, b"x" * 600), 1_000, None))


def test_single_json_object_is_a_one_record_batch() -> None:
    """An application/json object (not an array) is taken as one record."""
    assert decode_body(b'{"a": 1}', "application/json; charset=utf-8", None, 100) == [b'{"a":1}']


def test_empty_bodies_are_empty_batches() -> None:
    """Empty NDJSON and JSON bodies yield no lines rather than a refused record."""
    assert decode_body(b"", "application/x-ndjson", None, 100) == []
    assert decode_body(b"  \n", "application/json", None, 100) == []


def test_ndjson_crlf_and_blank_lines_are_tolerated() -> None:
    """CRLF line ends and blank lines do not become records."""
    body = b'{"a":1}\r\n\r\n{"b":2}\r\n'
    assert decode_body(body, None, None, 100) == [b'{"a":1}', b'{"b":2}']


def test_unknown_encoding_is_unsupported() -> None:
    """A Content-Encoding other than gzip is refused as unsupported."""
    with pytest.raises(UnsupportedMediaTypeError, match="br"):
        decode_body(b"x", "application/x-ndjson", "br", 100)
