"""Request bodies -> record lines, under limits checked as the bytes arrive.

A body is NDJSON or a JSON array (or one object), plain or gzip (several members
allowed). Nothing waits for the whole body before a limit is checked: bytes sent,
decompressed bytes and records are counted while reading, so a 16 KB gzip of 8 million
lines is refused (413) after its first few thousand. gzip is inflated in bounded steps
whose copies never exceed a step, so time is linear in the input however many members it
has; the caller runs the inflating off the event loop.

A line longer than a record may be (`MAX_RECORD_BYTES`) is not a reason to refuse its
neighbours: its first bytes are kept (the transform refuses it as `too_large`, into
errors/) and the rest is skipped as it arrives. JSON arrays are split into their elements
by a scanner that counts nesting with an integer, so depth costs neither stack nor memory;
each element's bytes go to the transform as they came (its depth rule refuses deep ones).
"""

from __future__ import annotations

import re
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Final

from observability.core.errors import Rejection, SettingsError
from observability.core.fields import MAX_RECORD_BYTES
from observability.core.settings import PREFIX, Settings
from observability.service.errors import BadBodyError, BodyTooLargeError, UnsupportedMediaTypeError
from observability.transform.lines import split_lines

NDJSON_TYPES: Final = frozenset(
    {"application/x-ndjson", "application/ndjson", "application/jsonl", "text/plain", ""}
)
JSON_TYPES: Final = frozenset({"application/json"})
_GZIP_WBITS: Final = 16 + zlib.MAX_WBITS
#: Compressed bytes per inflate call: bounds the copy made at each member's end.
INFLATE_IN_STEP: Final = 4096
#: Decompressed bytes per inflate call, and bytes split into lines at a time.
STEP: Final = 64 * 1024
#: A line is cut to this many bytes: one more than a record may be, so it is refused.
CUT_LENGTH: Final = MAX_RECORD_BYTES + 1


@dataclass(frozen=True, slots=True)
class BodyLimits:
    """What one request may make the collector hold."""

    max_request_bytes: int
    max_decompressed_bytes: int
    max_lines: int

    @classmethod
    def from_settings(cls, settings: Settings) -> BodyLimits:
        """The limits of `settings`; a value that is not positive names its variable."""
        names = ("max_request_bytes", "max_decompressed_bytes", "max_request_lines")
        for name in names:
            if getattr(settings, name) <= 0:
                variable = PREFIX + name.upper()
                raise SettingsError(f"{variable}: must be positive, got {getattr(settings, name)}")
        return cls(*(getattr(settings, name) for name in names))


@dataclass(slots=True)
class DecodedBody:
    """A batch's lines in the client's order; `cut` maps an index to its original length."""

    lines: list[bytes] = field(default_factory=list)
    cut: dict[int, int] = field(default_factory=dict)


def check_declared_length(content_length: str | None, limits: BodyLimits) -> None:
    """Refuse before reading when the declared length is already over the limit."""
    limit = limits.max_request_bytes
    if content_length is not None and content_length.isdigit() and int(content_length) > limit:
        raise BodyTooLargeError(f"request body is {content_length} bytes; the limit is {limit}")


class GzipInflater:
    """Inflate gzip members one after another, in steps, never past `limit` bytes out."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._size = 0
        self._inflater = zlib.decompressobj(_GZIP_WBITS)
        self._in_member = False

    def feed(self, data: bytes) -> Iterator[bytes]:
        """Decompressed pieces of at most STEP bytes for the compressed `data`."""
        view = memoryview(data)
        for start in range(0, len(view), INFLATE_IN_STEP):
            pending: bytes | memoryview = view[start : start + INFLATE_IN_STEP]
            while pending:
                try:
                    out = self._inflater.decompress(pending, STEP)
                except zlib.error as exc:
                    raise BadBodyError(f"the body is not valid gzip: {exc}") from None
                self._size += len(out)
                if self._size > self._limit:
                    raise BodyTooLargeError(
                        f"the decompressed body is over the limit of {self._limit} bytes"
                    )
                if out:
                    yield out
                if self._inflater.eof:  # a member ended; what follows starts the next
                    pending = self._inflater.unused_data
                    self._inflater = zlib.decompressobj(_GZIP_WBITS)
                    self._in_member = False
                else:
                    pending = self._inflater.unconsumed_tail
                    self._in_member = True

    def finish(self) -> None:
        """Refuse a body that ends inside a member."""
        if self._in_member:
            raise BadBodyError("the gzip body is truncated")


class LineSplitter:
    """NDJSON lines as pieces arrive; the record count and each line's length bounded."""

    def __init__(self, max_lines: int) -> None:
        self.body = DecodedBody()
        self._max_lines = max_lines
        self._pending = bytearray()
        self._pending_length = 0  # the whole line's length, also past a cut

    def feed(self, data: bytes | memoryview) -> None:
        """Split `data` (any size) into lines, STEP bytes at a time."""
        for start in range(0, len(data), STEP):
            self._feed_step(bytes(data[start : start + STEP]))

    def finish(self) -> DecodedBody:
        """The lines, with the last one even without a newline."""
        self._end_line()
        return self.body

    def _feed_step(self, piece: bytes) -> None:
        first = piece.find(b"\n")
        if first < 0:
            self._extend(piece)
            return
        self._extend(piece[:first])
        self._end_line()
        last = piece.rfind(b"\n")
        if last > first:  # whole lines inside one step: shorter than any limit on them
            self._add(split_lines(piece[first + 1 : last]))
        self._extend(piece[last + 1 :])

    def _extend(self, part: bytes) -> None:
        self._pending_length += len(part)
        room = CUT_LENGTH - len(self._pending)
        if room > 0:
            self._pending += part[:room]

    def _end_line(self) -> None:
        if not self._pending_length:
            return
        lines = split_lines(bytes(self._pending))
        if lines and self._pending_length > len(self._pending):
            self.body.cut[len(self.body.lines)] = self._pending_length
        self._pending.clear()
        self._pending_length = 0
        self._add(lines)

    def _add(self, lines: list[bytes]) -> None:
        self.body.lines += lines
        if len(self.body.lines) > self._max_lines:
            raise too_many_lines(self._max_lines)


def too_many_lines(limit: int) -> BodyTooLargeError:
    """The refusal of a request with more records than `limit`: nothing of it is stored."""
    return BodyTooLargeError(
        f"the request has more than {limit} records; send at most {limit} per request"
    )


# Inside an element only brackets and braces matter; at its top level commas end it.
# Strings are skipped whole (an unterminated one stops the match at its quote).
# Possessive quantifiers: the regex engine keeps no backtracking state, however long.
_STRING: Final = rb'"[^"\\]*+(?:\\.[^"\\]*+)*+"'
_INSIDE: Final = re.compile(rb"(?:[^\"\[\]{}]++|" + _STRING + rb")*+", re.DOTALL)
_TOP: Final = re.compile(rb"(?:[^\"\[\]{},]++|" + _STRING + rb")*+", re.DOTALL)


def json_body_lines(body: bytes, max_lines: int) -> DecodedBody:
    """The elements of a JSON array as lines, each as the client wrote it.

    A body that is not an array (one object, or something unreadable) is one line for
    the transform to accept or refuse with its reason; so is an array that is not well
    formed (an unterminated string or array, a stray `}`, text after it). A flaw inside
    one element refuses that element only.
    """
    text = body.strip()
    if not text:
        return DecodedBody()
    elements = _array_elements(text, max_lines) if text[:1] == b"[" else None
    return elements if elements is not None else _whole(text)


def _array_elements(text: bytes, max_lines: int) -> DecodedBody | None:
    """The elements of the array `text` starts with; None if it is not well formed."""
    out = DecodedBody()
    depth = 0
    start = pos = 1
    end = len(text)
    while True:
        skipped = (_INSIDE if depth else _TOP).match(text, pos)
        assert skipped is not None  # the patterns match the empty string
        pos = skipped.end()
        if pos >= end:  # the array never closes
            return None
        char = text[pos]
        if char in b"[{":
            depth += 1
        elif char == 0x5D and not depth:  # the array's `]`, with nothing after it
            if text[pos + 1 :].strip():
                return None
            _add_element(out, text[start:pos], max_lines, last=True)
            return out
        elif char in b"]}":
            if not depth:  # a `}` closing nothing
                return None
            depth -= 1
        elif char == 0x2C:  # a comma at the element's top level
            _add_element(out, text[start:pos], max_lines)
            start = pos + 1
        else:  # an unterminated string
            return None
        pos += 1


def _whole(text: bytes) -> DecodedBody:
    out = DecodedBody()
    _add_element(out, text, 1)
    return out


def _add_element(out: DecodedBody, element: bytes, max_lines: int, *, last: bool = False) -> None:
    element = element.strip()
    if not element and last and not out.lines:
        return  # `[]`: no records
    if len(element) > CUT_LENGTH:
        out.cut[len(out.lines)] = len(element)
        element = element[:CUT_LENGTH]
    out.lines.append(element)
    if len(out.lines) > max_lines:
        raise too_many_lines(max_lines)


class BodyDecoder:
    """One request's body, fed as it arrives: the media type and encoding decide the path.

    `take` is called with the size of each decoded piece (a chunk as sent, or at most
    STEP inflated bytes) before it is kept: the caller's budget, which may refuse it.
    When `offload` is true (gzip, or a JSON array to scan) the caller runs `feed` and
    `finish` in a thread; otherwise they are cheap enough for the event loop.
    """

    def __init__(
        self,
        content_type: str | None,
        content_encoding: str | None,
        limits: BodyLimits,
        take: Callable[[int], None] = lambda _nbytes: None,
    ) -> None:
        media = (content_type or "").split(";", 1)[0].strip().lower()
        if media not in NDJSON_TYPES and media not in JSON_TYPES:
            raise UnsupportedMediaTypeError(
                f"unsupported Content-Type {media!r}: send application/x-ndjson or application/json"
            )
        encoding = (content_encoding or "identity").strip().lower()
        if encoding not in ("gzip", "identity"):
            raise UnsupportedMediaTypeError(
                f"unsupported Content-Encoding {encoding!r}: send gzip or nothing"
            )
        self._limits = limits
        self._inflater = GzipInflater(limits.max_decompressed_bytes) if encoding == "gzip" else None
        self._json: bytearray | None = bytearray() if media in JSON_TYPES else None
        self._splitter = LineSplitter(limits.max_lines)
        self._take = take
        self._sent = 0
        self._decoded = 0
        self.offload = self._inflater is not None or self._json is not None

    def feed(self, chunk: bytes) -> None:
        """Take the next bytes sent."""
        self._sent += len(chunk)
        if self._sent > self._limits.max_request_bytes:
            raise BodyTooLargeError(
                f"request body is over the limit of {self._limits.max_request_bytes} bytes"
            )
        pieces = self._inflater.feed(chunk) if self._inflater is not None else (chunk,)
        for piece in pieces:
            self._decoded += len(piece)
            if self._decoded > self._limits.max_decompressed_bytes:
                raise BodyTooLargeError(
                    f"the decoded body is over the limit of "
                    f"{self._limits.max_decompressed_bytes} bytes"
                )
            self._take(len(piece))
            if self._json is not None:
                self._json += piece
            else:
                self._splitter.feed(piece)

    def finish(self) -> DecodedBody:
        """The batch, once the body has ended."""
        if self._inflater is not None:
            self._inflater.finish()
        if self._json is not None:
            body = json_body_lines(bytes(self._json), self._limits.max_lines)
            self._json = bytearray()
            return body
        return self._splitter.finish()


def decode_body(
    body: bytes, content_type: str | None, content_encoding: str | None, limits: BodyLimits
) -> DecodedBody:
    """A whole body at once (tests, and callers that already hold it)."""
    decoder = BodyDecoder(content_type, content_encoding, limits)
    decoder.feed(body)
    return decoder.finish()


def explain_cuts(rejected: Sequence[Rejection], cut: dict[int, int]) -> None:
    """Give the refusals of lines cut while reading their real length."""
    if not cut:
        return
    for rejection in rejected:
        length = cut.get(rejection.index) if rejection.index is not None else None
        if length is not None:
            rejection.message = (
                f"record is {length} bytes; the limit is {MAX_RECORD_BYTES} "
                f"(its first {CUT_LENGTH} bytes are kept)"
            )
