"""The sink is closed however the process ends: normal exit, an exception, SIGTERM, SIGINT.

Normal exit and an uncaught exception run `atexit`, where `shutdown()` closes the sink
within its deadline. A signal left to its default action (SIGTERM's) runs no Python at
all, and servers make that the usual end: uvicorn handles SIGTERM, shuts down, puts the
handler it found back and raises the signal again. So `install` puts a handler in front
of whatever handles SIGTERM and SIGINT. It closes the sink (what cannot be delivered
within the deadline is spilled, and every later line is kept at once), then hands the
signal on: to the previous Python handler, or, when that was the default action, it
restores the default and raises the signal again, so the process still ends with the
signal's status. An ignored signal stays ignored; SIGINT's default handler
(KeyboardInterrupt, then atexit) is left in place. When the signal interrupted the main
thread inside the sink (the hook answers "not now"), the handler lets that code finish
and resumes at the first call or return after it left the sink (`_ResumeWhenOut`).
A timer re-delivering the signal would not do: its thread gets the GIL when the sink
writes, so each retry lands inside the sink again, for as long as the process logs.

A forked child (a gunicorn worker under `--preload`) inherits the handler, but the
worker resets signal handlers after the fork. In a child, a watcher thread checks for a
while whether the handlers are still there and, if not, has the main thread (the only
one allowed to set them) put them back: `_thread.interrupt_main` on a spare real-time
signal runs that signal's Python handler in the main thread; no signal is sent.
"""

from __future__ import annotations

import _thread
import os
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable
from types import FrameType
from typing import Final, cast

#: Signals that end a process and that servers handle themselves.
HANDLED: Final = (signal.SIGTERM, signal.SIGINT)
#: How long a forked child keeps checking that its handlers were not replaced.
WATCH_SECONDS: Final = 30.0
_WATCH_INTERVAL: Final = 0.05
_Previous = Callable[[int, FrameType | None], object] | int | None

#: Closes the sink; returns False when it cannot yet (the current thread is inside it).
_hook: Callable[[], bool] | None = None


class ExitHandler:
    """Closes the sink, then passes the signal on as if this handler were not there."""

    def __init__(self, signum: int, previous: _Previous) -> None:
        self.signum = signum
        self.previous = previous

    def __call__(self, signum: int, frame: FrameType | None) -> None:
        if run_hook():
            self.pass_on(signum, frame)
        else:  # interrupted inside the sink: go on once that code has left it
            _ResumeWhenOut.start(self, signum)

    def pass_on(self, signum: int, frame: FrameType | None) -> None:
        """Hand the signal to what handled it before this handler was put in front."""
        previous = self.previous
        if callable(previous):
            previous(signum, frame)
        elif previous == signal.SIG_DFL:
            signal.signal(signum, signal.SIG_DFL)
            signal.raise_signal(signum)


class _ResumeWhenOut:
    """A profile function on the main thread that finishes a deferred signal.

    It runs the hook again at each call and return until the hook no longer answers
    "not now", so the signal goes on at the first event after the interrupted code left
    the sink, never inside it. A profiler already set keeps its events meanwhile and is
    put back afterwards. Nothing is paid unless a signal found the main thread inside.
    """

    _active: _ResumeWhenOut | None = None

    def __init__(self, handler: ExitHandler, signum: int, before: object) -> None:
        self.handler = handler
        self.signum = signum
        self.before = before

    @classmethod
    def start(cls, handler: ExitHandler, signum: int) -> None:
        """Defer `signum` (one deferral at a time: a second signal joins the first)."""
        if cls._active is not None:
            return
        cls._active = cls(handler, signum, sys.getprofile())
        sys.setprofile(cls._active)

    def __call__(self, frame: FrameType, event: str, arg: object) -> None:
        before = self.before
        if callable(before):
            before(frame, event, arg)
        if not run_hook():
            return
        sys.setprofile(cast(Callable[..., object] | None, before))
        type(self)._active = None
        self.handler.pass_on(self.signum, frame)


def _interrupt_main(signum: int) -> None:
    """Run `signum`'s Python handler in the main thread, as if it had arrived (none is
    sent). Any signal number works; the stubs name only `Signals` members."""
    interrupt = cast(Callable[[int], None], _thread.interrupt_main)
    interrupt(signum)


def run_hook() -> bool:
    """Run the exit hook; False if it asked to be run again later. A failure is printed,
    never raised into the signal's path."""
    hook = _hook
    if hook is None:
        return True
    try:
        return hook()
    except Exception:  # noqa: BLE001 - the process is ending: report, then let it end
        traceback.print_exc(file=sys.stderr)
        return True


def install(hook: Callable[[], bool]) -> bool:
    """Make `hook` run when SIGTERM or SIGINT ends the process; False off the main thread.

    Installing again replaces the hook and keeps the handlers already in place.
    """
    global _hook  # noqa: PLW0603 - one exit hook per process, like atexit's
    _hook = hook
    if threading.current_thread() is not threading.main_thread():
        return False
    _arm()
    return True


def uninstall() -> None:
    """Forget the hook (the handlers stay and just pass signals on)."""
    global _hook  # noqa: PLW0603
    _hook = None


def _arm() -> None:
    """Put an `ExitHandler` in front of each handled signal that needs one (main thread)."""
    for signum in HANDLED:
        current = signal.getsignal(signum)
        if _needs_handler(signum, current):
            signal.signal(signum, ExitHandler(signum, current))


def _needs_handler(signum: int, current: _Previous) -> bool:
    if isinstance(current, ExitHandler):
        return False
    if current is None or current == signal.SIG_IGN:  # set outside Python, or ignored
        return False
    return not (signum == signal.SIGINT and current is signal.default_int_handler)


# -- forked children -----------------------------------------------------------------------


def _spare_signal() -> int | None:
    """A real-time signal nobody handles, to run code in the main thread; None if none."""
    low, high = getattr(signal, "SIGRTMIN", None), getattr(signal, "SIGRTMAX", None)
    if low is None or high is None:
        return None
    for signum in range(high, low, -1):
        if signal.getsignal(signum) == signal.SIG_DFL:
            return signum
    return None


def _after_fork_in_child() -> None:
    if _hook is None:
        return
    spare = _spare_signal()
    if spare is None:
        return
    watcher = _Watcher(spare)
    try:
        signal.signal(spare, watcher.on_main_thread)
    except (OSError, ValueError):  # not the main thread after all: atexit still closes
        return
    threading.Thread(target=watcher.run, name="observability-exit-watch", daemon=True).start()


class _Watcher:
    """In a forked child: puts the exit handlers back after the server resets them."""

    def __init__(self, spare: int) -> None:
        self.spare = spare
        self.done = False

    def run(self) -> None:
        """Poll the handlers; ask the main thread to re-arm when one is missing."""
        ends = time.monotonic() + WATCH_SECONDS
        while time.monotonic() < ends and _hook is not None:
            if any(_needs_handler(s, signal.getsignal(s)) for s in HANDLED):
                _interrupt_main(self.spare)
            time.sleep(_WATCH_INTERVAL)
        self.done = True
        _interrupt_main(self.spare)  # the main thread gives the spare signal back

    def on_main_thread(self, signum: int, frame: FrameType | None) -> None:
        """Runs in the main thread: re-arm, and give the spare signal back when done."""
        _arm()
        if self.done:
            signal.signal(self.spare, signal.SIG_DFL)


os.register_at_fork(after_in_child=_after_fork_in_child)
