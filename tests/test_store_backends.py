"""The local directory and S3 behave as one store: same keys, atomic puts, sorted listings."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from observability.core.aws import AwsClients
from observability.core.errors import SettingsError, StoreError
from observability.store.base import ObjectStore
from observability.store.factory import open_store
from observability.store.files import decode_lines, encode_ndjson_gz, new_filename
from observability.store.local import LocalStore
from observability.store.s3 import S3Store


@pytest.fixture(params=["local", "s3"])
def any_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[ObjectStore]:
    """Each test runs against both backends (S3 on the moto server)."""
    if request.param == "local":
        yield LocalStore(tmp_path / "root")
        return
    aws: AwsClients = request.getfixturevalue("aws")
    aws.s3().create_bucket(Bucket="store-test")
    yield S3Store(aws.s3(), "store-test", "env/prod")


def test_put_get_replace_delete(any_store: ObjectStore) -> None:
    """A put replaces the whole object; delete is idempotent; a missing key is KeyError."""
    key = "logs/service=a/dt=2026-11-23/hour=13/f.json.gz"
    any_store.put(key, b"one")
    any_store.put(key, b"two")
    assert any_store.get(key) == b"two"
    assert any_store.exists(key)
    any_store.delete(key)
    any_store.delete(key)
    assert not any_store.exists(key)
    with pytest.raises(KeyError):
        any_store.get(key)


def test_listing_is_sorted_and_prefix_scoped(any_store: ObjectStore) -> None:
    """Listing returns keys under the prefix only, in lexical order, relative to the store."""
    keys = [
        "logs/service=b/dt=2026-11-23/hour=01/x.json.gz",
        "logs/service=a/dt=2026-11-23/hour=13/y.json.gz",
        "logs/service=a/dt=2026-11-23/hour=02/z.json.gz",
        "predictions/model=m/dt=2026-11-23/hour=02/p.json.gz",
    ]
    for key in keys:
        any_store.put(key, b"x")
    assert list(any_store.list("logs/service=a/")) == sorted(keys[1:3])
    assert list(any_store.list("")) == sorted(keys)
    assert list(any_store.list("labels/")) == []


def test_local_writes_leave_no_temporary_files(tmp_path: Path) -> None:
    """After a put only the final file exists: readers never see a partial write."""
    store = LocalStore(tmp_path)
    store.put("a/b/c.bin", b"payload")
    assert [p.name for p in (tmp_path / "a" / "b").iterdir()] == ["c.bin"]


def test_local_refuses_keys_outside_root(tmp_path: Path) -> None:
    """A key with `..` cannot write outside the store."""
    store = LocalStore(tmp_path / "root")
    with pytest.raises(StoreError, match="escapes"):
        store.put("../outside", b"x")


def test_open_store_schemes(tmp_path: Path, aws: AwsClients) -> None:
    """file:// URLs, bare paths and s3:// URLs open the right backend; others are refused."""
    assert isinstance(open_store(tmp_path.as_uri()), LocalStore)
    assert isinstance(open_store(str(tmp_path / "bare")), LocalStore)
    s3 = open_store("s3://bucket/some/prefix", aws)
    assert isinstance(s3, S3Store)
    assert s3.url == "s3://bucket/some/prefix/"
    with pytest.raises(SettingsError, match="unsupported scheme 'ftp'"):
        open_store("ftp://host/x")
    with pytest.raises(SettingsError, match="no bucket"):
        open_store("s3:///x", aws)


def test_ndjson_gzip_round_trip() -> None:
    """Encoded lines decode to the same lines; plain (uncompressed) data decodes too."""
    lines = [b'{"a":1}', b'{"b":2}\n', b'{"c":3}']
    assert list(decode_lines(encode_ndjson_gz(lines))) == [b'{"a":1}', b'{"b":2}', b'{"c":3}']
    assert list(decode_lines(b'{"a":1}\r\n\n{"b":2}\n')) == [b'{"a":1}', b'{"b":2}']


def test_filenames_are_unique_and_time_sortable() -> None:
    """Two names made in a row differ and sort by creation time."""
    first, second = new_filename(), new_filename()
    assert first != second
    assert first.endswith(".json.gz")
    assert first[:13] <= second[:13]
