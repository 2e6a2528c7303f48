"""Quiet threads: what a thread logs while it is quiet never becomes a line.

A sink's worker calls httpx or botocore, which log through the standard library (a
request line per POST, retries at debug). With the stdlib bridge on, each of those would
be submitted to the sink it came from: under an outage, an endless feed of lines about
failing to deliver lines. Delivery threads are quiet for good; the bridge also makes a
thread quiet while it hands a record to the sink, so nothing the sink (or a handler)
logs meanwhile comes back in. One thread-local flag serves both: the bridge reads it
inline on every record.
"""

from __future__ import annotations

import threading
from typing import Final

#: `quiet.on` is True on a quiet thread (read with `getattr(quiet, "on", False)`).
quiet: Final = threading.local()


def mark_delivery_thread() -> None:
    """Make the current thread (a sink's worker) quiet for the rest of its life."""
    quiet.on = True
    quiet.delivering = True


def is_delivery_thread() -> bool:
    """True on a thread marked by `mark_delivery_thread`."""
    return getattr(quiet, "delivering", False) is True
