"""The demos' temporary directory: made at start, removed at exit unless kept.

Removed however the demo ends: normally, on an error, on Ctrl-C (KeyboardInterrupt) and on
SIGTERM, which is turned into `SystemExit` while the directory exists so the cleanup runs
(only in the main thread, where Python delivers signals; the previous handler comes back
afterwards).
"""

from __future__ import annotations

import shutil
import signal
import tempfile
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from types import FrameType
from typing import Final

PREFIX: Final = "observability-demo-"
#: 128 + SIGTERM, as a shell reports a process ended by it.
SIGTERM_EXIT: Final = 143


@contextmanager
def demo_workdir(
    *, keep: bool = False, on_exit: Callable[[Path, bool], None] | None = None
) -> Iterator[Path]:
    """A fresh directory under the system's temporary one; `on_exit(path, kept)` is told
    what became of it."""
    path = Path(tempfile.mkdtemp(prefix=PREFIX))
    try:
        with _sigterm_exits():
            yield path
    finally:
        if not keep:
            shutil.rmtree(path, ignore_errors=True)
        if on_exit is not None:
            on_exit(path, keep)


@contextmanager
def _sigterm_exits() -> Iterator[None]:
    """SIGTERM raises SystemExit in the main thread while the block runs."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def leave(_signum: int, _frame: FrameType | None) -> None:
        raise SystemExit(SIGTERM_EXIT)

    previous = signal.signal(signal.SIGTERM, leave)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)
