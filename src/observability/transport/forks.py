"""What sinks do around `os.fork()`: nothing buffered is copied, threads start afresh.

A pre-forking server (gunicorn `--preload`) imports the app, and so configures the SDK,
in the master, then forks its workers. A forked child has only the thread that forked:
a sink's worker thread is gone, its locks may be held by threads that no longer exist,
and bytes buffered in the parent would be written twice. So before a fork each
registered object writes its buffers out under its lock; the parent then releases the
lock; the child replaces its locks, drops what belongs to the parent (queued lines,
pooled connections) and restarts its thread.
"""

from __future__ import annotations

import itertools
import os
import weakref
from typing import Protocol


class ForkAware(Protocol):
    """An object that keeps buffers, locks, threads or connections across a fork."""

    def before_fork(self) -> None:
        """Write buffered bytes out and hold the lock guarding them (in the forking thread)."""
        ...

    def after_fork_in_parent(self) -> None:
        """Release what `before_fork` held."""
        ...

    def after_fork_in_child(self) -> None:
        """New locks, nothing of the parent's in flight, a fresh worker thread if any."""
        ...


_objects: weakref.WeakValueDictionary[int, ForkAware] = weakref.WeakValueDictionary()
_order = itertools.count()


def register(obj: ForkAware) -> None:
    """Tell `obj` about every later fork, in registration order, for as long as it lives.

    Order matters: a sink registers after the destination and spill it uses, so those
    are ready in the child before its thread starts again.
    """
    _objects[next(_order)] = obj


#: The objects `_before` prepared, so the "after" hooks visit exactly those.
_prepared: list[ForkAware] = []


def _before() -> None:
    _prepared.clear()
    for _, obj in sorted(_objects.items()):
        obj.before_fork()
        _prepared.append(obj)


def _after_in_parent() -> None:
    for obj in _prepared:
        obj.after_fork_in_parent()
    _prepared.clear()


def _after_in_child() -> None:
    for obj in _prepared:
        obj.after_fork_in_child()
    _prepared.clear()


os.register_at_fork(
    before=_before, after_in_parent=_after_in_parent, after_in_child=_after_in_child
)
