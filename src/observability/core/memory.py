"""Memory of large, short-lived working sets: whose allocator, and handed back when done.

A drift run reads a million-row window through DuckDB, Arrow and numpy and frees most of it
again. Two things made that costly here:
- Arrow's bundled mimalloc returned and re-faulted its pages over and over: a 1M-row run
  spent over 5 s of system time, against 2 s with the C heap (glibc), for the same peak;
- once the frame is built, the allocators keep what was freed for reuse, and the run's
  later phases stack their own memory on top of it: the process's peak pays for memory
  nothing uses.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
from collections.abc import Callable
from functools import cache

import pyarrow as pa

#: Arrow's own variable: a pool chosen there is left alone.
ARROW_POOL_VARIABLE = "ARROW_DEFAULT_MEMORY_POOL"


def prefer_system_allocator() -> None:
    """Arrow's buffers from the C heap from now on, unless the environment chose a pool."""
    if ARROW_POOL_VARIABLE not in os.environ:
        pa.set_memory_pool(pa.system_memory_pool())


def release_free_memory() -> None:
    """Return the free memory of Arrow's pool and of the C heap to the system."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's `malloc_trim`; None where the C library has none (musl, macOS)."""
    name = ctypes.util.find_library("c")
    try:
        function: Callable[[int], int] = ctypes.CDLL(name).malloc_trim
    except (OSError, AttributeError):
        return None
    return function
