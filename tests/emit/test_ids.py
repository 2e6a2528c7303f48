"""Tests of observability.emit.ids."""

from __future__ import annotations

import os
import re

from observability.emit.ids import new_prediction_id, next_record_id


def test_record_ids_are_unique_within_a_process() -> None:
    """Many record ids drawn in a row never repeat."""
    ids = [next_record_id() for _ in range(20_000)]
    assert len(set(ids)) == len(ids)


def test_forked_child_draws_a_new_prefix() -> None:
    """A forked child does not repeat its parent's ids (its prefix is drawn again)."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: report one id and leave without running pytest's teardown
        os.write(write_end, next_record_id().encode())
        os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as pipe:
        child_id = pipe.read().decode()
    os.waitpid(pid, 0)
    parent_id = next_record_id()
    assert child_id
    assert child_id.split("-")[0] != parent_id.split("-")[0]


def test_prediction_ids_are_random_hex() -> None:
    """Prediction ids are 32 hex digits and do not repeat."""
    ids = {new_prediction_id() for _ in range(1000)}
    assert len(ids) == 1000
    assert all(re.fullmatch(r"[0-9a-f]{32}", pid) for pid in ids)
