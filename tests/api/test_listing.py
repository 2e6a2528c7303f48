"""Store listings one level at a time, each object with a version that changes on replace."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from observability.core.aws import AwsClients
from observability.dashboard.listing import (
    CachedLister,
    Lister,
    LocalLister,
    S3Lister,
    StoreLister,
    open_lister,
)
from observability.store.base import ObjectStore
from observability.store.local import LocalStore
from observability.store.s3 import S3Store

BUCKET = "listing-test"


@pytest.fixture(params=["local", pytest.param("s3", marks=pytest.mark.aws)])
def store_and_lister(
    request: pytest.FixtureRequest, tmp_path: Path
) -> Iterator[tuple[ObjectStore, Lister]]:
    """A local directory and an S3 prefix on the moto server, each with its lister."""
    if request.param == "local":
        local = LocalStore(tmp_path / "root", fsync=False)
        yield local, open_lister(local, lambda: pytest.fail("no S3 client for a local store"))
        return
    aws: AwsClients = request.getfixturevalue("aws")
    aws.s3().create_bucket(Bucket=BUCKET)
    s3 = S3Store(aws.s3(), BUCKET, "env/prod")
    yield s3, open_lister(s3, aws.s3)


def test_one_level_with_versions(store_and_lister: tuple[ObjectStore, Lister]) -> None:
    """Directories and files of one level are listed apart; replacing an object changes
    its version, and an unchanged one keeps it."""
    store, lister = store_and_lister
    assert isinstance(lister, LocalLister | S3Lister)
    store.put("m/model=a/dt=2026-11-01/x.parquet", b"one")
    store.put("m/model=a/dt=2026-11-02/y.parquet", b"two")
    store.put("m/model=b/z.parquet", b"three")
    store.put("m/top.json", b"{}")
    assert lister.children("m/") == ["model=a", "model=b"]
    assert lister.children("m/model=a/") == ["dt=2026-11-01", "dt=2026-11-02"]
    assert [e.key for e in lister.files("m/")] == ["m/top.json"]
    (before,) = lister.files("m/model=a/dt=2026-11-01/")
    assert before.key == "m/model=a/dt=2026-11-01/x.parquet" and before.name == "x.parquet"
    assert lister.files("m/model=a/dt=2026-11-01/") == [before]
    store.put("m/model=a/dt=2026-11-01/x.parquet", b"one, re-run")
    (after,) = lister.files("m/model=a/dt=2026-11-01/")
    assert after.key == before.key and after.version != before.version
    assert lister.children("absent/") == [] and lister.files("absent/") == []


def test_local_listing_stays_in_the_store(tmp_path: Path) -> None:
    """Links are neither listed nor followed, and a prefix cannot leave the root."""
    store = LocalStore(tmp_path / "root", fsync=False)
    store.put("a/file.json", b"{}")
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.json").write_text("{}")
    (tmp_path / "root" / "a" / "link").symlink_to(outside)
    (tmp_path / "root" / "a" / "linked.json").symlink_to(outside / "secret.json")
    lister = LocalLister(store.root)
    assert lister.children("a/") == []
    assert [e.key for e in lister.files("a/")] == ["a/file.json"]
    assert lister.files("../outside/") == [] and lister.children("/") == []


def test_other_stores_are_listed_without_versions(tmp_path: Path) -> None:
    """A store the read side has no lister for is listed through `list`, version unknown."""
    store = LocalStore(tmp_path / "root", fsync=False)
    store.put("p/q/r.json", b"{}")
    store.put("p/s.json", b"{}")
    lister = StoreLister(store)
    assert lister.children("p/") == ["q"]
    assert [(e.key, e.version) for e in lister.files("p/")] == [("p/s.json", "")]


def test_cached_listing_is_reused_for_its_ttl(tmp_path: Path) -> None:
    """Within the TTL a listing is answered from memory; after it, listed again."""
    store = LocalStore(tmp_path / "root", fsync=False)
    now = [0.0]
    lister = CachedLister(LocalLister(store.root), ttl=2.0, clock=lambda: now[0])
    store.put("d/one.json", b"{}")
    assert [e.name for e in lister.files("d/")] == ["one.json"]
    store.put("d/two.json", b"{}")
    now[0] = 1.9
    assert [e.name for e in lister.files("d/")] == ["one.json"]
    now[0] = 2.1
    assert [e.name for e in lister.files("d/")] == ["one.json", "two.json"]
    uncached = CachedLister(LocalLister(store.root), ttl=0)
    store.put("d/three.json", b"{}")
    assert len(uncached.files("d/")) == 3
