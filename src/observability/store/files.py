"""Data-file naming and encoding: gzip NDJSON, as Firehose writes it."""

from __future__ import annotations

import gzip
import os
import secrets
import time
from collections.abc import Iterable, Iterator
from typing import Final

#: gzip level 6 costs ~3x level 1 for ~10% smaller files; ingest favours throughput.
GZIP_LEVEL: Final = 1
_INSTANCE: Final = secrets.token_hex(4)


def new_filename(suffix: str = ".json.gz", token: str | None = None) -> str:
    """`<epoch-ms>-<instance>-<token>`: sortable by time, unique across writers."""
    tag = token or secrets.token_hex(6)
    return f"{int(time.time() * 1000):013d}-{_INSTANCE}-{os.getpid()}-{tag}{suffix}"


def encode_ndjson_gz(lines: Iterable[bytes]) -> bytes:
    """Newline-terminated lines, gzip-compressed."""
    body = b"".join(line if line.endswith(b"\n") else line + b"\n" for line in lines)
    return gzip.compress(body, compresslevel=GZIP_LEVEL, mtime=0)


def decode_lines(data: bytes) -> Iterator[bytes]:
    """Lines of a data file, gzip or plain, without their newlines; blank lines skipped."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    for line in data.split(b"\n"):
        if line.strip():
            yield line.rstrip(b"\r")
