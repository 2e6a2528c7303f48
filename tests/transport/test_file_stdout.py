"""FileSink and StdoutSink: synchronous NDJSON writers."""

from __future__ import annotations

import io
from pathlib import Path

from observability.core.schema import Kind
from observability.transport.base import Envelope, Outcome
from observability.transport.file import FileSink
from observability.transport.stdout import StdoutSink


def test_file_sink_writes_one_ndjson_file_per_kind(tmp_path: Path) -> None:
    """Lines land newline-terminated in <dir>/<plural>.ndjson and survive reopening."""
    sink = FileSink(tmp_path)
    sink.submit(Kind.LOG, "g", b'{"n":1}')
    sink.submit(Kind.PREDICTION, "g", b'{"n":2}')
    assert sink.flush()
    result = sink.send([Envelope(Kind.LOG, b'{"n":3}\n{"n":4}\n', 2)])
    assert result.outcomes == [Outcome.ACCEPTED]
    sink.close()
    sink.submit(Kind.LOG, "g", b'{"n":5}')
    sink.close()
    assert (tmp_path / "logs.ndjson").read_bytes() == b'{"n":1}\n{"n":3}\n{"n":4}\n{"n":5}\n'
    assert (tmp_path / "predictions.ndjson").read_bytes() == b'{"n":2}\n'


def test_stdout_sink_writes_lines_to_its_stream() -> None:
    """Each submitted line is written and flushed at once, newline-terminated."""
    stream = io.BytesIO()
    sink = StdoutSink(stream)
    sink.submit(Kind.LOG, "g", b'{"n":1}')
    assert stream.getvalue() == b'{"n":1}\n'
    sink.send([Envelope(Kind.LABEL, b'{"n":2}\n')])
    sink.close()
    assert stream.getvalue() == b'{"n":1}\n{"n":2}\n'


def test_file_sink_writes_whole_lines_and_writes_through_after_close(tmp_path: Path) -> None:
    """Lines stay buffered until the buffer fills (then only whole lines are written);
    after close() each line is in the file at once, with no flush."""
    sink = FileSink(tmp_path, buffer_bytes=64)
    path = tmp_path / "logs.ndjson"
    sink.submit(Kind.LOG, "g", b'{"n":1}')
    assert not path.exists() or path.read_bytes() == b""
    for n in range(2, 12):
        sink.submit(Kind.LOG, "g", b'{"n":%d}' % n)
    written = path.read_bytes()
    assert written and written.endswith(b"\n")  # the full buffer went out, whole lines only
    assert sink.close() is True
    sink.submit(Kind.LOG, "g", b'{"n":99}')
    assert path.read_bytes().splitlines() == [b'{"n":%d}' % n for n in [*range(1, 12), 99]]
