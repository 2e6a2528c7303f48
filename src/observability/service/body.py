"""Request bodies -> lines: NDJSON or a JSON array, plain or gzip, under a size limit.

The limit holds for the bytes sent and again for the decompressed bytes, so a small
gzip bomb is refused (413) without ever being inflated past the limit.
"""

from __future__ import annotations

import json
import zlib
from collections.abc import AsyncIterator, Callable
from typing import Any, Final

import orjson

from observability.service.errors import BadBodyError, BodyTooLargeError, UnsupportedMediaTypeError
from observability.transform.lines import split_lines

NDJSON_TYPES: Final = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "text/plain", ""}
)
JSON_TYPES: Final = frozenset({"application/json"})
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS


async def read_limited(
    chunks: AsyncIterator[bytes], limit: int, content_length: str | None
) -> bytes:
    """The whole body, refusing as soon as it is known to be over `limit` bytes."""
    if content_length is not None and content_length.isdigit() and int(content_length) > limit:
        raise BodyTooLargeError(f"request body is {content_length} bytes; the limit is {limit}")
    body = bytearray()
    async for chunk in chunks:
        body += chunk
        if len(body) > limit:
            raise BodyTooLargeError(f"request body is over the limit of {limit} bytes")
    return bytes(body)


def decode_body(
    body: bytes, content_type: str | None, content_encoding: str | None, limit: int
) -> list[bytes]:
    """Lines of a batch, one per record, in the order the client sent them."""
    media = (content_type or "").split(";", 1)[0].strip().lower()
    if media not in NDJSON_TYPES and media not in JSON_TYPES:
        raise UnsupportedMediaTypeError(
            f"unsupported Content-Type {media!r}: send application/x-ndjson or application/json"
        )
    encoding = (content_encoding or "identity").strip().lower()
    if encoding == "gzip":
        body = gunzip_limited(body, limit)
    elif encoding != "identity":
        raise UnsupportedMediaTypeError(
            f"unsupported Content-Encoding {encoding!r}: send gzip or nothing"
        )
    if media in JSON_TYPES:
        return json_array_lines(body)
    return split_lines(body)


def gunzip_limited(data: bytes, limit: int) -> bytes:
    """Inflate gzip (several members allowed), never producing more than `limit` bytes."""
    out: list[bytes] = []
    size = 0
    while data:
        inflater = zlib.decompressobj(_GZIP_WBITS)
        try:
            piece = inflater.decompress(data, limit - size + 1)
        except zlib.error as exc:
            raise BadBodyError(f"the body is not valid gzip: {exc}") from None
        size += len(piece)
        if size > limit:
            raise BodyTooLargeError(f"the decompressed body is over the limit of {limit} bytes")
        out.append(piece)
        if not inflater.eof:
            raise BadBodyError("the gzip body is truncated")
        data = inflater.unused_data
    return b"".join(out)


def json_array_lines(body: bytes) -> list[bytes]:
    """Each element of a JSON array re-serialised as one line, so indexes match the array.

    A body orjson refuses is retried with the stdlib parser, which reads NaN and
    Infinity: each element is then re-rendered as it came and the transform refuses
    only the elements holding them. A body neither can parse, or one that is not an
    array or object, becomes a single line that the transform refuses with its reason.
    """
    if not body.strip():
        return []
    try:
        items = orjson.loads(body)
        dumps: Callable[[Any], bytes] = orjson.dumps
    except orjson.JSONDecodeError:
        try:
            items = json.loads(body)
        except (ValueError, RecursionError):
            return [body]
        dumps = _stdlib_dumps
    if type(items) is dict:
        return [dumps(items)]
    if type(items) is not list:
        return [body]
    return [dumps(item) for item in items]


def _stdlib_dumps(item: Any) -> bytes:
    return json.dumps(item).encode("ascii")
