"""Record and prediction ids, unique without coordination.

A record id is a random per-process prefix plus a counter: unique, and far cheaper than
a UUID per log call. A forked child draws a new prefix, or it would repeat its parent's
ids. Prediction ids are fully random: a label may name one from any process, any day.
"""

from __future__ import annotations

import itertools
import os

_prefix = ""
_counter = itertools.count()


def _reseed() -> None:
    global _prefix, _counter  # noqa: PLW0603 - one process-wide sequence, reset after fork
    _prefix = os.urandom(8).hex() + "-"
    _counter = itertools.count()


_reseed()
os.register_at_fork(after_in_child=_reseed)


def next_record_id() -> str:
    """A process-unique id: 16 random hex digits, a dash, and a decimal counter."""
    return f"{_prefix}{next(_counter)}"


def new_prediction_id() -> str:
    """128 random bits as 32 hex digits."""
    return os.urandom(16).hex()
