"""DuckDB locked to the store, and the query process that runs user SQL inside it.

`connect()` is the one way the package opens DuckDB over the store. The connection may
read the store's own directory only: `allowed_directories` (the store root with its
trailing `/`; DuckDB matches by text prefix after folding `..`, and on S3 the form that
reaches the registered filesystem is `s3://bucket/prefix/`), then `enable_external_access
= false`, which refuses every other path, URL and extension; then the configuration is
locked, so no statement can undo it. No spilling to disk, no Python replacement scans.

Run as a script (`python -P sandbox.py`, started by `isolated.py`), this module is the
query process: it reads one job on stdin, caps its own address space (RLIMIT_AS), gives up
writing files (Landlock where the kernel has it, RLIMIT_FSIZE = 0 everywhere: inside the
store too, which `allowed_directories` alone would let DuckDB write), runs the plan and
writes frames on stdout: the columns, each row pickled on its own, stopping at the row and
byte caps, then a done or an error frame. It imports only the standard library and duckdb,
so the process is ready in ≈0.2 s (pyarrow, needed for an S3 store, adds ≈0.3 s).
"""

from __future__ import annotations

import ctypes
import importlib
import io
import os
import pickle
import resource
import signal
import struct
import sys
from collections.abc import Iterator
from dataclasses import dataclass, fields
from pathlib import Path
from typing import Any, BinaryIO, Final
from zoneinfo import ZoneInfo

import duckdb

#: Frame kinds on the query process's stdout.
COLUMNS: Final = b"C"
ROW: Final = b"R"
DONE: Final = b"D"
ERROR: Final = b"E"
#: Error kinds in an ERROR frame: bad SQL, over the memory cap, over the result cap.
SQL_ERROR: Final = "sql"
MEMORY_ERROR: Final = "memory"
LIMIT_ERROR: Final = "limit"
_FRAME: Final = struct.Struct(">cI")
_FETCH_ROWS: Final = 1024
#: The argument that has the query process import what reading S3 needs while it waits.
S3_FLAG: Final = "--s3"
_S3_MODULES: Final = ("pyarrow.fs", "fsspec.implementations.arrow")
#: The address space the process needs beyond what it maps at start, at the very least.
_MIN_HEADROOM: Final = 64 * 1024 * 1024
#: Landlock (Linux >= 5.13): the same syscall numbers on every architecture.
_LANDLOCK_CREATE_RULESET: Final = 444
_LANDLOCK_RESTRICT_SELF: Final = 446
_LANDLOCK_ABI_VERSION: Final = 1
_PR_SET_NO_NEW_PRIVS: Final = 38
#: Rights to change the filesystem: write, truncate, make, remove, rename across dirs (ABI 1).
_LANDLOCK_WRITES_V1: Final = (
    (1 << 1)  # WRITE_FILE
    | (1 << 4)  # REMOVE_DIR
    | (1 << 5)  # REMOVE_FILE
    | (1 << 6)  # MAKE_CHAR
    | (1 << 7)  # MAKE_DIR
    | (1 << 8)  # MAKE_REG
    | (1 << 9)  # MAKE_SOCK
    | (1 << 10)  # MAKE_FIFO
    | (1 << 11)  # MAKE_BLOCK
    | (1 << 12)  # MAKE_SYM
)
_LANDLOCK_REFER: Final = 1 << 13  # ABI 2
_LANDLOCK_TRUNCATE: Final = 1 << 14  # ABI 3


@dataclass(frozen=True, slots=True)
class Plan:
    """What DuckDB runs for one statement: views over the chosen files, then the statement."""

    #: (view name, SELECT over the files) pairs, created before the statement.
    views: tuple[tuple[str, str], ...]
    #: The statement in DuckDB's dialect, `$name` parameters.
    sql: str
    params: dict[str, Any]
    bytes_scanned: int = 0
    files: int = 0


@dataclass(frozen=True, slots=True)
class Sandbox:
    """What a connection may read, through which filesystem, with how much memory."""

    #: Directories DuckDB may open files under, each ending in `/`.
    directories: tuple[str, ...]
    #: pyarrow's S3FileSystem for an `s3://` store, registered as DuckDB's `s3` filesystem.
    s3_filesystem: Any | None = None
    memory_limit_bytes: int | None = None
    threads: int | None = None


def connect(sandbox: Sandbox) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB that reads files under `sandbox.directories` and nothing else."""
    if not sandbox.directories or not all(d.endswith("/") for d in sandbox.directories):
        raise ValueError(f"sandbox directories must end in '/': {sandbox.directories!r}")
    connection = duckdb.connect(":memory:")
    try:
        if sandbox.s3_filesystem is not None:
            connection.register_filesystem(_s3_wrapper(sandbox.s3_filesystem))
        for statement in _settings(sandbox):
            connection.execute(statement)
    except BaseException:
        connection.close()
        raise
    return connection


def _settings(sandbox: Sandbox) -> list[str]:
    """The SET statements of a sandboxed connection; the last three lock it down."""
    statements = [
        "SET TimeZone = 'UTC'",
        "SET temp_directory = ''",
        "SET enable_progress_bar = false",
        "SET python_enable_replacements = false",
        "SET autoinstall_known_extensions = false",
        "SET autoload_known_extensions = false",
    ]
    if sandbox.memory_limit_bytes is not None:
        statements.append(f"SET memory_limit = '{int(sandbox.memory_limit_bytes)}B'")
    if sandbox.threads is not None:
        statements.append(f"SET threads = {int(sandbox.threads)}")
    allowed = ", ".join(_string(directory) for directory in sandbox.directories)
    statements.append(f"SET allowed_directories = [{allowed}]")
    statements.append("SET enable_external_access = false")
    statements.append("SET lock_configuration = true")
    return statements


def _s3_wrapper(filesystem: Any) -> Any:
    """pyarrow's S3 filesystem under the `s3` protocol name, which DuckDB routes to it;
    read-only: every call DuckDB makes to write, move or remove is refused."""
    from fsspec.implementations.arrow import ArrowFSWrapper  # type: ignore[import-untyped]

    def refuse(self: Any, path: Any = None, *_args: Any, **_kwargs: Any) -> Any:
        raise PermissionError(f"the store is read-only to queries: {path}")

    class S3Wrapper(ArrowFSWrapper):  # type: ignore[misc]
        protocol = "s3"

        def _open(self, path: str, mode: str = "rb", *args: Any, **kwargs: Any) -> Any:
            if mode not in ("rb", "r"):
                refuse(self, path)
            return super()._open(path, mode, *args, **kwargs)

        rm = rm_file = _rm = rmdir = mv = cp_file = mkdir = makedirs = touch = refuse
        pipe_file = put_file = refuse

    return S3Wrapper(filesystem)


def open_views(cursor: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Create the plan's views on a cursor (temporary: they live as long as the cursor)."""
    for name, select in plan.views:
        cursor.execute(f"CREATE TEMP VIEW {name} AS {select}")


def as_dict(value: Plan | Sandbox) -> dict[str, Any]:
    """A plan or sandbox as plain fields (the child rebuilds it without importing the package)."""
    return {f.name: getattr(value, f.name) for f in fields(value)}


def first_line(error: BaseException) -> str:
    """DuckDB's message without its caret diagram."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__


def write_frame(out: BinaryIO, kind: bytes, payload: bytes) -> None:
    """One frame: kind, length, payload."""
    out.write(_FRAME.pack(kind, len(payload)))
    out.write(payload)


def read_frames(data: bytes) -> Iterator[tuple[bytes, bytes]]:
    """The frames in `data`; a truncated last frame (a killed process) ends the iteration."""
    offset = 0
    while offset + _FRAME.size <= len(data):
        kind, length = _FRAME.unpack_from(data, offset)
        start = offset + _FRAME.size
        if start + length > len(data):
            return
        yield kind, data[start : start + length]
        offset = start + length


def stream_rows(
    cursor: duckdb.DuckDBPyConnection, out: BinaryIO, *, max_rows: int, max_bytes: int
) -> None:
    """The result as frames: columns, rows until a cap, then done (with `truncated`)."""
    columns = [d[0] for d in cursor.description or []]
    write_frame(out, COLUMNS, pickle.dumps(columns))
    sent = count = 0
    truncated = False
    while not truncated:
        batch = cursor.fetchmany(_FETCH_ROWS)
        if not batch:
            break
        for row in batch:
            if count == max_rows:
                truncated = True
                break
            data = _dumps(tuple(row))
            if sent + len(data) > max_bytes:
                if count == 0:
                    raise _LimitError(f"the first row alone is over the {max_bytes} byte cap")
                truncated = True
                break
            write_frame(out, ROW, data)
            sent += len(data)
            count += 1
    write_frame(out, DONE, pickle.dumps(truncated))


def _dumps(row: tuple[Any, ...]) -> bytes:
    buffer = io.BytesIO()
    _RowPickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(row)
    return buffer.getvalue()


class _RowPickler(pickle.Pickler):
    """Time zones by key (`ZoneInfo(key)`), so the parent's unpickler needs no `getattr`."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, ZoneInfo):
            return ZoneInfo, (obj.key,)
        return NotImplemented


class _LimitError(Exception):
    """A cap of the query process reached (not a DuckDB error)."""


def cap_address_space(limit_bytes: int) -> None:
    """RLIMIT_AS at `limit_bytes`: every mapping counts, so the RSS stays under it too."""
    mapped = _vm_size()
    if mapped is not None and mapped + _MIN_HEADROOM > limit_bytes:
        raise _LimitError(
            f"query_memory_bytes ({limit_bytes}) is below what the query process maps "
            f"at start ({mapped}) plus {_MIN_HEADROOM} bytes"
        )
    resource.setrlimit(resource.RLIMIT_AS, (limit_bytes, limit_bytes))


def forbid_writes() -> bool:
    """With Landlock, this thread and those it starts can no longer write, create, truncate,
    rename or remove any file (reads stay DuckDB's business). False where the kernel or a
    seccomp profile refuses Landlock: then RLIMIT_FSIZE = 0 still fails every written byte."""
    libc = ctypes.CDLL(None, use_errno=True)
    abi = libc.syscall(_LANDLOCK_CREATE_RULESET, None, 0, _LANDLOCK_ABI_VERSION)
    if abi < 1:
        return False
    handled = _LANDLOCK_WRITES_V1
    handled |= _LANDLOCK_REFER if abi >= 2 else 0
    handled |= _LANDLOCK_TRUNCATE if abi >= 3 else 0
    attributes = ctypes.c_uint64(handled)  # struct landlock_ruleset_attr, first field only
    ruleset = libc.syscall(
        _LANDLOCK_CREATE_RULESET, ctypes.byref(attributes), ctypes.sizeof(attributes), 0
    )
    if ruleset < 0:
        return False
    try:
        if libc.prctl(_PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            return False
        return bool(libc.syscall(_LANDLOCK_RESTRICT_SELF, ruleset, 0) == 0)
    finally:
        os.close(ruleset)


def _vm_size() -> int | None:
    try:
        with Path("/proc/self/status").open(encoding="ascii") as status:
            for line in status:
                if line.startswith("VmSize:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        return None
    return None


def _string(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def main() -> None:
    """The query process: one job from stdin, frames to stdout, then exit without cleanup."""
    # Frames go to a private copy of stdout; anything else printed lands on stderr.
    out = os.fdopen(os.dup(1), "wb")
    os.dup2(2, 1)
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write over RLIMIT_FSIZE fails, no kill
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    # Before any thread starts (pyarrow's, DuckDB's): Landlock binds threads started after.
    forbid_writes()
    if S3_FLAG in sys.argv[1:]:
        for module in _S3_MODULES:
            importlib.import_module(module)
    job = pickle.load(sys.stdin.buffer)  # noqa: S301 - written by our parent (isolated.py)
    memory = int(job["memory_bytes"])
    try:
        connection = connect(Sandbox(**job["sandbox"]))
        cap_address_space(memory)
        plan = Plan(**job["plan"])
        cursor = connection.cursor()
        open_views(cursor, plan)
        cursor.execute(plan.sql, plan.params or None)
        stream_rows(cursor, out, max_rows=int(job["max_rows"]), max_bytes=int(job["max_bytes"]))
    except (duckdb.OutOfMemoryException, MemoryError) as exc:
        message = f"the query needs more memory than its {memory} byte cap ({first_line(exc)})"
        write_frame(out, ERROR, pickle.dumps((MEMORY_ERROR, message)))
    except _LimitError as exc:
        write_frame(out, ERROR, pickle.dumps((LIMIT_ERROR, str(exc))))
    except duckdb.Error as exc:
        write_frame(out, ERROR, pickle.dumps((SQL_ERROR, f"DuckDB: {first_line(exc)}")))
    except (pickle.PicklingError, TypeError) as exc:
        message = f"cannot return this result: {first_line(exc)}"
        write_frame(out, ERROR, pickle.dumps((SQL_ERROR, message)))
    out.flush()
    report_peak_memory()
    os._exit(0)  # DuckDB's teardown is not needed: the process ends here


#: The stderr line in which the query process reports its own peak RSS (`VmHWM`).
PEAK_MARKER: Final = b"#peak-rss-bytes "


def vm_hwm(pid: int | str = "self") -> int | None:
    """A process's peak RSS in bytes from `/proc/<pid>/status` (`VmHWM` starts afresh at
    exec; `wait4`'s `ru_maxrss` would also count the parent's memory at fork time)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return None


def report_peak_memory() -> None:
    """Write this process's peak RSS to stderr, for the parent's figures."""
    peak = vm_hwm()
    if peak is not None:
        os.write(2, b"\n" + PEAK_MARKER + str(peak).encode() + b"\n")


if __name__ == "__main__":
    main()
