"""LocalStore.list never follows a symbolic link and never leaves the store's root."""

from __future__ import annotations

from pathlib import Path

import pytest

from observability.store.local import LocalStore


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A directory beside the store with a file that must never be listed."""
    directory = tmp_path / "outside"
    (directory / "deep").mkdir(parents=True)
    (directory / "deep" / "secret.json.gz").write_bytes(b"secret")
    return directory


def test_keys_under_a_prefix_are_listed_sorted(store: LocalStore) -> None:
    """Files under the prefix come back as keys, in order; temporary files are skipped."""
    for key in ("logs/service=b/x.gz", "logs/service=a/y.gz", "labels/z.gz"):
        store.put(key, b"1")
    (store.root / "logs" / "service=a" / ".tmp-partial").write_bytes(b"")
    assert list(store.list("logs/")) == ["logs/service=a/y.gz", "logs/service=b/x.gz"]
    assert list(store.list("logs/service=a")) == ["logs/service=a/y.gz"]
    assert list(store.list("")) == ["labels/z.gz", "logs/service=a/y.gz", "logs/service=b/x.gz"]


@pytest.mark.parametrize(
    "prefix",
    [
        "logs/service=good/../../../outside/",
        "logs/service=good/../../../outside",
        "../outside/",
        "..",
        "/",
        "/etc/",
        "logs/\x00/",
    ],
)
def test_a_prefix_that_climbs_out_lists_nothing(
    store: LocalStore, outside: Path, prefix: str
) -> None:
    """`..` segments, absolute prefixes and NUL bytes name no key: nothing is listed."""
    store.put("logs/service=good/a.gz", b"1")
    assert list(store.list(prefix)) == []


def test_symbolic_links_are_neither_listed_nor_followed(store: LocalStore, outside: Path) -> None:
    """A link to a directory or a file outside the root (or inside it) is skipped."""
    store.put("logs/service=good/a.gz", b"1")
    (store.root / "logs" / "service=evil").symlink_to(outside)
    (store.root / "logs" / "service=good" / "b.gz").symlink_to(outside / "deep" / "secret.json.gz")
    (store.root / "loop").symlink_to(store.root / "logs")
    assert list(store.list("")) == ["logs/service=good/a.gz"]
    assert list(store.list("logs/service=evil/")) == []
    assert list(store.list("loop/")) == []
