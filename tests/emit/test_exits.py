"""Tests of observability.emit.exits: the sink is closed, then the signal goes on."""

from __future__ import annotations

import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from types import FrameType

import orjson
import pytest

import observability
from observability.emit.exits import ExitHandler
from observability.emit.memory import MemoryLineSink
from observability.transport.file import BUFFER_BYTES as FILE_BUFFER_BYTES
from observability.transport.locks import held_here, new_lock


@pytest.fixture(autouse=True)
def _restore_handlers() -> Iterator[None]:
    """Put SIGTERM's and SIGINT's handlers back as they were before the test."""
    saved = {signum: signal.getsignal(signum) for signum in (signal.SIGTERM, signal.SIGINT)}
    yield
    for signum, handler in saved.items():
        signal.signal(signum, handler)


def test_the_sink_is_closed_before_the_previous_handler_runs() -> None:
    """A server's own handler still gets the signal, after the sink was closed."""
    seen: list[tuple[int, bool]] = []
    sink = MemoryLineSink()

    def server_handler(signum: int, frame: FrameType | None) -> None:
        seen.append((signum, sink.closed))

    signal.signal(signal.SIGTERM, server_handler)
    observability.configure(service="svc", env="test", sink=sink)
    signal.raise_signal(signal.SIGTERM)
    assert seen == [(signal.SIGTERM, True)]
    observability.get_logger().info("after the signal")  # still configured: kept by the sink
    assert [r["event"] for r in sink.records()] == ["after the signal"]


def test_ignored_signals_and_pythons_sigint_handler_are_left_alone() -> None:
    """SIG_IGN stays ignored, and KeyboardInterrupt (then atexit) stays SIGINT's path."""
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    observability.configure(service="svc", env="test", sink=MemoryLineSink())
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_IGN
    assert signal.getsignal(signal.SIGINT) is signal.default_int_handler


def test_configuring_again_does_not_stack_handlers() -> None:
    """A second configure() keeps the one handler in front of the original one."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    observability.configure(service="svc", env="test", sink=MemoryLineSink())
    first = signal.getsignal(signal.SIGTERM)
    observability.configure(service="svc", env="test", sink=MemoryLineSink())
    assert signal.getsignal(signal.SIGTERM) is first
    assert isinstance(first, ExitHandler) and first.previous == signal.SIG_DFL


def test_off_the_main_thread_no_handler_is_installed() -> None:
    """configure() from another thread works and leaves the signal handlers as they were."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    errors: list[BaseException] = []

    def configure() -> None:
        try:
            observability.configure(service="svc", env="test", sink=MemoryLineSink())
        except BaseException as exc:  # noqa: BLE001 - handed to the test thread
            errors.append(exc)

    thread = threading.Thread(target=configure)
    thread.start()
    thread.join()
    assert errors == []
    assert signal.getsignal(signal.SIGTERM) == signal.SIG_DFL


#: Configures a buffered file sink, logs, then signals itself: SIGTERM's default action.
DEFAULT_ACTION = """
import os, signal, sys
from pathlib import Path
import observability
from observability.transport.file import FileSink
observability.configure(service="svc", env="test", sink=FileSink(Path(sys.argv[1])))
log = observability.get_logger()
for n in range(20):
    log.info("line", n=n)
os.kill(os.getpid(), signal.SIGTERM)
signal.pause()
"""


def test_default_action_still_ends_the_process_after_the_sink_is_closed(tmp_path: Path) -> None:
    """With no other handler, SIGTERM ends the process by the signal, lines written first."""
    done = subprocess.run(
        [sys.executable, "-c", DEFAULT_ACTION, str(tmp_path)],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == -signal.SIGTERM, done.stderr.decode()
    assert len((tmp_path / "logs.ndjson").read_bytes().splitlines()) == 20


#: A forked child whose SIGTERM handler is reset, as a gunicorn worker does after the fork.
#: With `taken`, the app already handles SIGRTMAX: the watcher must use another signal.
FORKED_RESET = """
import os, signal, sys, time
import observability
from observability.emit.exits import ExitHandler
from observability.emit.memory import MemoryLineSink
if sys.argv[1] == "taken":
    signal.signal(signal.SIGRTMAX, lambda signum, frame: None)
observability.configure(service="svc", env="test", sink=MemoryLineSink())
pid = os.fork()
if pid == 0:
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    ends = time.monotonic() + 5
    while not isinstance(signal.getsignal(signal.SIGTERM), ExitHandler):
        if time.monotonic() > ends:
            os._exit(3)
        time.sleep(0.01)
    os._exit(0)
_, status = os.waitpid(pid, 0)
sys.exit(os.waitstatus_to_exitcode(status))
"""


@pytest.mark.parametrize("spare", ["free", "taken"])
def test_a_forked_child_gets_its_handler_back_after_a_reset(spare: str) -> None:
    """In a forked child whose handlers were reset, the exit handler is installed again."""
    done = subprocess.run(
        [sys.executable, "-c", FORKED_RESET, spare], capture_output=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stderr.decode()


class HeldSink(MemoryLineSink):
    """A memory sink whose lock the test holds, as if a log call were under way."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = new_lock()

    def in_use_here(self) -> bool:
        return held_here(self.lock)


def test_a_signal_inside_the_sink_waits_until_the_sink_is_left() -> None:
    """Interrupting the main thread inside the sink defers closing (and the signal's next
    handler) until that code is done, instead of deadlocking or closing half-way."""
    seen: list[bool] = []
    sink = HeldSink()
    signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(sink.closed))
    observability.configure(service="svc", env="test", sink=sink)
    with sink.lock:
        signal.raise_signal(signal.SIGTERM)
        assert (seen, sink.closed) == ([], False)
    for _ in range(1000):  # the deferred handler runs at the main thread's next check
        if seen:
            break
        time.sleep(0.001)
    assert seen == [True]


def test_a_profiler_set_before_keeps_its_events_and_its_place() -> None:
    """While a deferred signal waits for the sink to be left, a profiler already set still
    sees the calls, and it is the profiler again once the signal went on."""
    seen: list[bool] = []
    events: list[str] = []

    def profiler(frame: FrameType, event: str, arg: object) -> None:
        events.append(event)

    sink = HeldSink()
    signal.signal(signal.SIGTERM, lambda signum, frame: seen.append(sink.closed))
    observability.configure(service="svc", env="test", sink=sink)
    sys.setprofile(profiler)
    try:
        with sink.lock:
            signal.raise_signal(signal.SIGTERM)
            events.clear()
            len(seen)  # a call the profiler must still see
            assert "c_call" in events
        assert seen == [True]  # at the first event after the lock was left
        assert sys.getprofile() is profiler
    finally:
        sys.setprofile(None)


#: Logs in a tight loop on the main thread until SIGTERM ends it mid-log-call; argv:
#: the directory, the file sink's buffer in bytes.
BUSY_LOOP = """
import os, sys
from pathlib import Path
import observability
from observability.transport.file import FileSink
sink = FileSink(Path(sys.argv[1]), buffer_bytes=int(sys.argv[2]))
observability.configure(service="svc", env="test", sink=sink)
log = observability.get_logger()
print("ready", flush=True)
n = 0
while True:
    log.info("busy", n=n)
    n += 1
"""


@pytest.mark.parametrize("buffer_bytes", [FILE_BUFFER_BYTES, 1], ids=["buffered", "through"])
@pytest.mark.parametrize("attempt", range(3))
def test_sigterm_during_a_log_call_keeps_every_line_whole_and_once(
    tmp_path: Path, attempt: int, buffer_bytes: int
) -> None:
    """A signal landing inside a log call still ends the process by the signal, with every
    line written whole, once, in order.

    Written through, every call releases the GIL inside the sink: a retry timed from
    another thread would land inside it again each time and never end the process.
    """
    proc = subprocess.Popen(
        [sys.executable, "-c", BUSY_LOOP, str(tmp_path), str(buffer_bytes)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert proc.stdout is not None
    assert proc.stdout.readline() == b"ready\n"
    time.sleep(0.2 + attempt * 0.05)
    proc.send_signal(signal.SIGTERM)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == -signal.SIGTERM, stderr.decode()
    numbers = [
        orjson.loads(line)["attributes"]["n"]
        for line in (tmp_path / "logs.ndjson").read_bytes().splitlines()
    ]
    assert numbers == list(range(len(numbers)))
    assert len(numbers) > 100
