"""Locks that a signal handler can ask: does the thread I interrupted hold you?

Python runs a signal handler in the main thread, between two bytecodes of whatever that
thread was doing, possibly inside a sink's critical section. A handler that then closed
the sink would deadlock on a plain lock, or, re-entering, see half-done work. Sinks guard
what the main thread can be inside of with re-entrant locks, and the exit handler asks
`held_here` first; if so it lets the interrupted code finish and runs again right after.
"""

from __future__ import annotations

import threading
from typing import Protocol


class _Owned(Protocol):
    def _is_owned(self) -> bool: ...


def new_lock() -> threading.RLock:
    """A re-entrant lock (`held_here` can tell whether the current thread holds it)."""
    return threading.RLock()


def held_here(lock: threading.RLock | threading.Condition) -> bool:
    """True when the current thread holds `lock`.

    `_is_owned` is what `threading.Condition` itself relies on, on both the C and the
    pure-Python RLock; there is no public spelling of the question.
    """
    owned: _Owned = lock  # type: ignore[assignment]
    return owned._is_owned()
